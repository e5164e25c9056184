import { ApplicationCommandOptionType, type ChatInputCommandInteraction } from 'discord.js';
import type { APIApplicationCommandBasicOption, APIApplicationCommandSubcommandGroupOption } from 'discord-api-types/v10';
import { blocklistKinds, type BlocklistKind } from '#shared/db/value-lists.ts';
import { blocklistLimits } from '#shared/moderation/blocklist.ts';
import { addBlock, discordActor, listBlocks, removeBlock } from '#shared/moderation/guild-store.ts';
import { messageLimits, truncate } from '#shared/render/limits.ts';
import type { BotContext } from '../../context.ts';
import { replyPrivately } from './reply.ts';

const entryOptions: APIApplicationCommandBasicOption[] = [
  { type: ApplicationCommandOptionType.String, name: 'kind', description: 'A whole word (or phrase), or a regular expression', required: true, choices: blocklistKinds.map((k) => ({ name: k, value: k })) },
  { type: ApplicationCommandOptionType.String, name: 'pattern', description: 'The word or expression (case and accents ignored)', required: true, max_length: blocklistLimits.patternMax },
];

export const blocklistGroup: APIApplicationCommandSubcommandGroupOption = {
  type: ApplicationCommandOptionType.SubcommandGroup, name: 'blocklist', description: 'Words and expressions refused in prompts here',
  options: [
    { type: ApplicationCommandOptionType.Subcommand, name: 'add', description: 'Refuse prompts containing this', options: entryOptions },
    { type: ApplicationCommandOptionType.Subcommand, name: 'remove', description: 'Stop refusing this', options: entryOptions },
    { type: ApplicationCommandOptionType.Subcommand, name: 'list', description: 'What is refused here' },
  ],
};

const code = (s: string) => `\`${s.replaceAll('`', 'ˋ')}\``;

export async function runBlocklist(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  const guildId = interaction.guildId!;
  const sub = interaction.options.getSubcommand();
  if (sub === 'list') {
    const entries = await listBlocks(ctx.db, guildId);
    if (!entries.length) return replyPrivately(interaction, 'The blocklist of this server is empty.');
    const lines = entries.map((e) => `${e.kind}: ${code(e.pattern)}`);
    let text = `**Blocklist** (${entries.length} of ${blocklistLimits.entriesPerGuild}; case and accents ignored):\n`;
    for (const [i, line] of lines.entries()) {
      const rest = `\n…and ${lines.length - i} more`;
      if (text.length + line.length + 1 + rest.length > messageLimits.content) {
        text += rest.trimStart();
        break;
      }
      text += `${line}\n`;
    }
    return replyPrivately(interaction, text);
  }
  const kind = interaction.options.getString('kind', true) as BlocklistKind;
  if (!blocklistKinds.includes(kind)) return replyPrivately(interaction, '`kind` must be `word` or `regex`.');
  const given = interaction.options.getString('pattern', true);
  // Spaces around a word never matter (prompts are folded the same way); in a regex they might.
  const pattern = kind === 'word' ? given.trim() : given;
  const shown = `${kind} ${code(truncate(pattern, blocklistLimits.patternMax))}`;
  if (sub === 'add') {
    const added = await addBlock(ctx.pool, guildId, kind, pattern, interaction.user.id);
    return replyPrivately(interaction, added ? `Added ${shown}: prompts and negative prompts containing it are refused here.` : `${shown} is already on the blocklist.`);
  }
  const removed = await removeBlock(ctx.pool, guildId, kind, pattern, discordActor(interaction.user.id));
  return replyPrivately(interaction, removed ? `Removed ${shown} from the blocklist.` : `${shown} is not on the blocklist.`);
}
