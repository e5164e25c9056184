import { ok, type Precondition } from './precondition.ts';

export const guildOnly: Precondition = (interaction) =>
  interaction.inGuild() ? ok() : { ok: false, identifier: 'preconditionGuildOnly', message: 'This command works in a server channel, not in DMs.' };
