import { genadmin } from './commands/genadmin.ts';
import { imagine } from './commands/imagine.ts';
import { quota } from './commands/quota.ts';
import type { ComponentHandler, ModalHandler, SlashCommand } from './handler-types.ts';
import { cancelHandler } from './interactions/cancel.ts';
import { imagineModalHandler } from './interactions/imagine-modal.ts';

/** Everything the bot answers; deploy-commands registers `commands[].data`. */
export const commands: readonly SlashCommand[] = [imagine, quota, genadmin];
export const componentHandlers: readonly ComponentHandler[] = [cancelHandler as ComponentHandler];
export const modalHandlers: readonly ModalHandler[] = [imagineModalHandler as ModalHandler];
