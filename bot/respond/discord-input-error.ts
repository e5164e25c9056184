import { DiscordjsErrorCodes } from 'discord.js';
import { AppError, ErrorCode } from '#shared/errors.ts';

// discord.js throws these while reading options or modal fields that do not match what the code
// asks for: the payload (or a client with a stale copy of the command) is odd, not our code.
const inputCodes: ReadonlySet<string> = new Set([
  DiscordjsErrorCodes.CommandInteractionOptionType,
  DiscordjsErrorCodes.CommandInteractionOptionEmpty,
  DiscordjsErrorCodes.CommandInteractionOptionNotFound,
  DiscordjsErrorCodes.AutocompleteInteractionOptionNoFocusedOption,
  DiscordjsErrorCodes.ModalSubmitInteractionFieldType,
  DiscordjsErrorCodes.ModalSubmitInteractionFieldEmpty,
  DiscordjsErrorCodes.ModalSubmitInteractionFieldNotFound,
]);

export const staleInputMessage =
  'Discord sent this request in a form the command does not take (your Discord app may have an old copy of it). Reload Discord and try again.';

/** A discord.js "option/field of the wrong shape" error as an exposed validation error; anything else unchanged. Pure. */
export function fromDiscordInputError(err: unknown): unknown {
  const code = err && typeof err === 'object' && 'code' in err ? err.code : undefined;
  if (typeof code !== 'string' || !inputCodes.has(code)) return err;
  return new AppError(ErrorCode.Validation, staleInputMessage, { expose: true, cause: err, details: { discordjs: code, why: (err as Error).message } });
}
