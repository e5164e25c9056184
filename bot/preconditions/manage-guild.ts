import { PermissionFlagsBits } from 'discord.js';
import { ok, type Precondition } from './precondition.ts';

/**
 * The command is registered with default_member_permissions = Manage Server, but a server's admins can
 * override that per role or channel, so the interaction's own member permissions are checked here too.
 */
export const manageGuild: Precondition = (interaction) =>
  interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)
    ? ok()
    : { ok: false, identifier: 'preconditionManageGuild', message: 'You need the Manage Server permission to use `/genadmin`.' };
