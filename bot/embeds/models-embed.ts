import type { APIEmbed } from 'discord-api-types/v10';
import { embedLimits, truncate } from '#shared/render/limits.ts';
import { embedColors } from './colors.ts';
import { inert } from './inert-text.ts';

export interface OfferedModel {
  kind: 'checkpoint' | 'lora';
  fileName: string;
  displayName: string;
  nsfw: boolean;
  baseFamily: string | null;
  triggerWords: string[];
  /** How many of its kind are offered in all (the list may hold fewer). */
  ofKind: number;
}

// Each embed's description stays well under Discord's 4096, and both together under the 6000 total.
const descriptionBudget = 2800;

function line(m: OfferedModel): string {
  const name = m.displayName === m.fileName ? `**${inert(truncate(m.fileName, 100))}**` : `**${inert(truncate(m.displayName, 80))}** (${inert(truncate(m.fileName, 100))})`;
  const family = m.baseFamily ? ` · ${inert(truncate(m.baseFamily, 32))}` : '';
  const triggers = m.triggerWords.length ? ` · triggers: ${truncate(m.triggerWords.map((w) => `\`${truncate(w.replace(/`/g, "'"), 40)}\``).join(', '), 300)}` : '';
  return `${m.nsfw ? '🔞 ' : ''}${name}${family}${triggers}`;
}

function kindEmbed(title: string, models: OfferedModel[], empty: string): APIEmbed {
  const total = models[0]?.ofKind ?? 0;
  const lines: string[] = [];
  let used = 0;
  for (const m of models) {
    const l = line(m);
    if (used + l.length + 1 > descriptionBudget) break;
    lines.push(l);
    used += l.length + 1;
  }
  const more = total - lines.length;
  const description = total === 0 ? empty : `${lines.join('\n')}${more > 0 ? `\n… and ${more} more (type in /imagine's model or lora option to search them all)` : ''}`;
  return { title: truncate(`${title} (${total})`, embedLimits.title), description: truncate(description, embedLimits.description), color: embedColors.queued };
}

/** `/models`: the checkpoints and LoRAs this member may use here, with base family and trigger words. Pure. */
export function modelsView(models: OfferedModel[]): { embeds: APIEmbed[] } {
  return {
    embeds: [
      kindEmbed('Checkpoints', models.filter((m) => m.kind === 'checkpoint'), 'None available to you here.'),
      kindEmbed('LoRAs', models.filter((m) => m.kind === 'lora'), 'None available to you here.'),
    ],
  };
}
