import { genadmin } from './commands/genadmin.ts';
import { generation } from './commands/generation.ts';
import { generations } from './commands/generations.ts';
import { imagine } from './commands/imagine.ts';
import { forgetMe } from './commands/forget-me.ts';
import { models } from './commands/models.ts';
import { queue } from './commands/queue.ts';
import { quota } from './commands/quota.ts';
import type { ComponentHandler, ModalHandler, SlashCommand } from './handler-types.ts';
import { cancelHandler } from './interactions/cancel.ts';
import { deleteHandler } from './interactions/delete.ts';
import { forgetMeConfirmHandler } from './interactions/forget-me-confirm.ts';
import { keepHandler } from './interactions/keep.ts';
import { historyPageHandler } from './interactions/history-page.ts';
import { pageHandler } from './interactions/page.ts';
import { newSeedHandler, sameSeedHandler } from './interactions/regenerate.ts';
import { upscaleHandler, varyHandler } from './interactions/from-output.ts';
import { imagineModalHandler } from './interactions/imagine-modal.ts';

/** Everything the bot answers; deploy-commands registers `commands[].data`. */
export const commands: readonly SlashCommand[] = [imagine, quota, generations, generation, genadmin, queue, models, forgetMe];
export const componentHandlers: readonly ComponentHandler[] = [
  cancelHandler as ComponentHandler,
  sameSeedHandler as ComponentHandler,
  newSeedHandler as ComponentHandler,
  pageHandler as ComponentHandler,
  upscaleHandler as ComponentHandler,
  varyHandler as ComponentHandler,
  deleteHandler as ComponentHandler,
  keepHandler as ComponentHandler,
  forgetMeConfirmHandler as ComponentHandler,
  historyPageHandler as ComponentHandler,
];
export const modalHandlers: readonly ModalHandler[] = [imagineModalHandler as ModalHandler];
