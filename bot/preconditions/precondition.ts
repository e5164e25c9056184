import type { ChatInputCommandInteraction } from 'discord.js';

export type PreconditionResult = { ok: true } | { ok: false; identifier: string; message: string; silent?: boolean };

/** A named check a command lists; the router runs them before `run` and answers denials ephemerally. */
export type Precondition = (interaction: ChatInputCommandInteraction) => PreconditionResult;

export const ok = (): PreconditionResult => ({ ok: true });
