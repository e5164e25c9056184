import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { embedLimits, truncate } from './limits.ts';

function bar(progress: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, progress)) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

/** A progress edit: only embeds change, so the Cancel button already on the message stays. */
export function renderProgress(g: GenerationRow): { embeds: Record<string, unknown>[] } {
  return {
    embeds: [
      {
        title: truncate(`⏳ Generating — ${Math.round(g.progress * 100)}%`, embedLimits.title),
        description: truncate(`${bar(g.progress)}\n\n${g.prompt}`, embedLimits.description),
        color: 0x5865f2,
        footer: { text: `Generation ${g.id}` },
      },
    ],
  };
}
