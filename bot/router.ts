import type { AutocompleteInteraction, ChatInputCommandInteraction, Interaction, MessageComponentInteraction, ModalSubmitInteraction } from 'discord.js';
import { AppError, ErrorCode } from '#shared/errors.ts';
import type { BotContext } from './context.ts';
import { customIdAction } from './custom-id.ts';
import type { ComponentHandler, ModalHandler, SlashCommand } from './handler-types.ts';
import { unsupportedMessage } from './respond/answer-unread.ts';
import { fromDiscordInputError } from './respond/discord-input-error.ts';
import { replyEphemeral, userFacingMessage } from './respond/reply-error.ts';
import { truncate } from '#shared/render/limits.ts';

export interface RouterOptions {
  commands: readonly SlashCommand[];
  components: readonly ComponentHandler[];
  modals: readonly ModalHandler[];
  ctx: BotContext;
  /** Told about every interaction once it is handled (metrics). */
  onHandled?: (handled: HandledInteraction) => void;
}

export type InteractionKind = 'command' | 'autocomplete' | 'component' | 'modal' | 'other';
/** ok; denied by a precondition; refused with a message for the user (bad input, limits…); error: our fault. */
export type InteractionOutcome = 'ok' | 'denied' | 'refused' | 'error';

export interface HandledInteraction {
  kind: InteractionKind;
  /** The command name, or the button / modal action. */
  name: string;
  outcome: InteractionOutcome;
  seconds: number;
}

export interface InteractionRouter {
  /** The single `interactionCreate` listener. Never throws, and the work it starts never rejects. */
  handle(interaction: Interaction): void;
  /** Counts other interaction work (answers to payloads discord.js could not read) towards `idle()`. */
  track(work: Promise<unknown>): void;
  /** Resolves when every interaction being handled has finished (for a graceful stop). */
  idle(): Promise<void>;
}

function unknownCustomId(customId: string): AppError {
  return new AppError(ErrorCode.CustomIdTampered, 'This button is not one of ours or is out of date.', {
    status: 400, expose: true, details: { customId: truncate(customId, 120), why: 'no handler' },
  });
}

/** One listener branching on interaction type, in the manner of Sapphire's CoreInteractionCreate. */
export function createInteractionRouter(opts: RouterOptions): InteractionRouter {
  const { ctx } = opts;
  const commands = new Map(opts.commands.map((c) => [c.data.name, c]));
  const components = new Map(opts.components.map((h) => [h.action as string, h]));
  const modals = new Map(opts.modals.map((h) => [h.action as string, h]));
  const inFlight = new Set<Promise<void>>();

  async function chatInput(interaction: ChatInputCommandInteraction): Promise<InteractionOutcome> {
    const command = commands.get(interaction.commandName);
    if (!command) throw new AppError(ErrorCode.NotFound, 'That command is not available any more.', { expose: true });
    for (const check of command.preconditions ?? []) {
      const result = check(interaction);
      if (!result.ok) {
        ctx.logger.debug({ interactionId: interaction.id, identifier: result.identifier }, 'command denied');
        if (!result.silent) await replyEphemeral(interaction, result.message, ctx.logger);
        return 'denied';
      }
    }
    await command.run(interaction, ctx);
    return 'ok';
  }

  async function autocomplete(interaction: AutocompleteInteraction): Promise<void> {
    const command = commands.get(interaction.commandName);
    if (!command?.autocomplete) {
      await interaction.respond([]);
      return;
    }
    await command.autocomplete(interaction, ctx);
  }

  async function component(interaction: MessageComponentInteraction): Promise<void> {
    const handler = components.get(customIdAction(interaction.customId) ?? '');
    if (!handler) throw unknownCustomId(interaction.customId);
    await handler.run(interaction, handler.parse(interaction.customId), ctx);
  }

  async function modal(interaction: ModalSubmitInteraction): Promise<void> {
    const handler = modals.get(customIdAction(interaction.customId) ?? '');
    if (!handler) throw unknownCustomId(interaction.customId);
    await handler.run(interaction, handler.parse(interaction.customId), ctx);
  }

  async function dispatch(interaction: Interaction): Promise<void> {
    const started = performance.now();
    const outcome = await outcomeOf(interaction);
    // Names only from our own tables: a label per arbitrary string sent to us would grow without bound.
    const known = (table: Map<string, unknown>, name: string | undefined) => (name !== undefined && table.has(name) ? name : 'unknown');
    const [kind, name]: [InteractionKind, string] = interaction.isChatInputCommand() || interaction.isAutocomplete()
      ? [interaction.isAutocomplete() ? 'autocomplete' : 'command', known(commands, interaction.commandName)]
      : interaction.isModalSubmit()
        ? ['modal', known(modals, customIdAction(interaction.customId))]
        : interaction.isMessageComponent()
          ? ['component', known(components, customIdAction(interaction.customId))]
          : ['other', 'other'];
    opts.onHandled?.({ kind, name, outcome, seconds: (performance.now() - started) / 1000 });
  }

  async function outcomeOf(interaction: Interaction): Promise<InteractionOutcome> {
    // Made only when something is logged: most interactions log nothing here, and a child logger's
    // bindings are sanitised when it is made.
    const log = () => ctx.logger.child({ interactionId: interaction.id, userId: interaction.user?.id, type: interaction.type });
    try {
      if (interaction.isChatInputCommand()) return await chatInput(interaction);
      else if (interaction.isAutocomplete()) await autocomplete(interaction);
      else if (interaction.isMessageComponent()) await component(interaction);
      else if (interaction.isModalSubmit()) await modal(interaction);
      else {
        log().warn('interaction of a kind this bot does not handle');
        if (interaction.isRepliable()) await replyEphemeral(interaction, unsupportedMessage, log());
      }
      return 'ok';
    } catch (thrown) {
      const err = fromDiscordInputError(thrown);
      if (interaction.isAutocomplete()) {
        log().warn({ err }, 'autocomplete failed');
        if (!interaction.responded) await interaction.respond([]).catch(() => {});
        return 'error';
      }
      const refused = err instanceof AppError && err.expose;
      const errorLog = log();
      if (refused) errorLog.info({ code: err.code, details: err.details }, err.message);
      else errorLog.error({ err }, 'interaction failed');
      if (interaction.isRepliable()) await replyEphemeral(interaction, userFacingMessage(err), errorLog);
      return refused ? 'refused' : 'error';
    }
  }

  function track(work: Promise<unknown>): void {
    const done: Promise<void> = work
      .then(() => {}, (err: unknown) => ctx.logger.error({ err }, 'interaction work failed outside its handler'))
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  }

  return {
    handle(interaction) {
      track(dispatch(interaction));
    },
    track,
    async idle() {
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },
  };
}
