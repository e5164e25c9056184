import type {
  AutocompleteInteraction, ChatInputCommandInteraction, MessageComponentInteraction, ModalSubmitInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { BotContext } from './context.ts';
import type { CustomIdAction } from './custom-id.ts';
import type { Precondition } from './preconditions/precondition.ts';

/** One slash command: its definition (as deployed) and its handlers. One file per command in bot/commands/. */
export interface SlashCommand {
  data: RESTPostAPIChatInputApplicationCommandsJSONBody;
  preconditions?: readonly Precondition[];
  run(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, ctx: BotContext): Promise<void>;
}

/**
 * A button/select or modal handler owning one custom_id prefix. `parse` is pure and throws
 * CustomIdTampered for ids it cannot read; `run` acts only on the parsed value.
 */
export interface InteractionHandler<I, T> {
  action: CustomIdAction;
  parse(customId: string): T;
  run(interaction: I, parsed: T, ctx: BotContext): Promise<void>;
}

export type ComponentHandler<T = unknown> = InteractionHandler<MessageComponentInteraction, T>;
export type ModalHandler<T = unknown> = InteractionHandler<ModalSubmitInteraction, T>;
