import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { discordLimits, truncate } from './limits.ts';

function bar(progress: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, progress)) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

/** A progress edit: only embeds change, so the Cancel button already on the message stays. */
export function renderProgress(g: GenerationRow): { embeds: Record<string, unknown>[] } {
  return {
    embeds: [
      {
        title: truncate(`⏳ Generating — ${Math.round(g.progress * 100)}%`, discordLimits.embedTitle),
        description: truncate(`${bar(g.progress)}\n\n${g.prompt}`, discordLimits.embedDescription),
        color: 0x5865f2,
        footer: { text: `Generation ${g.id}` },
      },
    ],
  };
}
