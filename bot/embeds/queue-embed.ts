import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIButtonComponent, type APIEmbed } from 'discord-api-types/v10';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { CustomIdAction, encodeCustomId } from '#shared/discord/custom-id.ts';
import { etaText, formatEta, placeTitle, type LinePlace } from '#shared/generation/line-place.ts';
import { embedLimits, truncate } from '#shared/render/limits.ts';
import { embedColors } from './colors.ts';
import { inert } from './inert-text.ts';

export type QueueItem =
  | { generation: GenerationRow; state: 'queued'; place: LinePlace }
  | { generation: GenerationRow; state: 'running'; etaSeconds: number | null }
  | { generation: GenerationRow; state: 'cancelling' };

const buttonsPerRow = 5;

function headline(item: QueueItem): string {
  if (item.state === 'queued') return `🕒 ${placeTitle(item.place)} · ready in ${etaText(item.place)}`;
  if (item.state === 'running') {
    const pct = Math.round(item.generation.progress * 100);
    return `⏳ generating — ${pct}%${item.etaSeconds === null ? '' : ` · done in ${formatEta(item.etaSeconds)}`}`;
  }
  return '🚫 cancelling…';
}

/**
 * `/queue`: the member's waiting and running requests, oldest first (numbered like their Cancel
 * buttons), each with its place in line and ETA or its progress. Pure; prompts shown inert.
 */
export function queueView(items: QueueItem[]): { embeds: APIEmbed[]; components: APIActionRowComponent<APIButtonComponent>[] } {
  if (items.length === 0) {
    return { embeds: [{ title: 'Your queue', description: 'Nothing waiting or running. Start one with `/imagine`.', color: embedColors.queued }], components: [] };
  }
  const fields = items.slice(0, embedLimits.fields).map((item, i) => ({
    name: truncate(`${i + 1}. ${headline(item)}`, embedLimits.fieldName),
    value: truncate(`${inert(truncate(item.generation.prompt, 300))}\n\`${item.generation.checkpoint}\` · ${item.generation.steps} steps · \`${item.generation.id}\``, 600),
    inline: false,
  }));
  const cancellable = items.map((item, i) => ({ item, i })).filter(({ item }) => item.state !== 'cancelling');
  const buttons: APIButtonComponent[] = cancellable.slice(0, buttonsPerRow * 5).map(({ item, i }) => ({
    type: ComponentType.Button, style: ButtonStyle.Danger, label: `Cancel ${i + 1}`, custom_id: encodeCustomId(CustomIdAction.Cancel, item.generation.id),
  }));
  const components: APIActionRowComponent<APIButtonComponent>[] = [];
  for (let k = 0; k < buttons.length; k += buttonsPerRow) components.push({ type: ComponentType.ActionRow, components: buttons.slice(k, k + buttonsPerRow) });
  return {
    embeds: [{ title: 'Your queue', color: embedColors.queued, fields, footer: { text: 'Places count the requests that will be offered a GPU first (fair order, same servers).' } }],
    components,
  };
}
