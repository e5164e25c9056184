import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIButtonComponent, type APIEmbed } from 'discord-api-types/v10';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { CustomIdAction, encodeCustomId } from '#shared/discord/custom-id.ts';
import { etaText, formatEta, placeTitle, type LinePlace } from '#shared/generation/line-place.ts';
import { truncate } from '#shared/render/limits.ts';
import { embedColors } from './colors.ts';
import { inert } from './inert-text.ts';

export type QueueItem =
  | { generation: GenerationRow; state: 'queued'; place: LinePlace }
  | { generation: GenerationRow; state: 'running'; etaSeconds: number | null }
  | { generation: GenerationRow; state: 'cancelling' };

const buttonsPerRow = 5;
// 10 entries of ≤ 120 + 400 characters stay inside Discord's 6000 per message with room for the rest.
const maxItems = 10;

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
  const shown = items.slice(0, maxItems);
  const fields = shown.map((item, i) => ({
    name: truncate(`${i + 1}. ${headline(item)}`, 120),
    value: truncate(`${inert(truncate(item.generation.prompt, 200))}\n\`${truncate(item.generation.checkpoint, 80)}\` · ${item.generation.steps} steps · \`${item.generation.id}\``, 400),
    inline: false,
  }));
  const cancellable = shown.map((item, i) => ({ item, i })).filter(({ item }) => item.state !== 'cancelling');
  const buttons: APIButtonComponent[] = cancellable.map(({ item, i }) => ({
    type: ComponentType.Button, style: ButtonStyle.Danger, label: `Cancel ${i + 1}`, custom_id: encodeCustomId(CustomIdAction.Cancel, item.generation.id),
  }));
  const components: APIActionRowComponent<APIButtonComponent>[] = [];
  for (let k = 0; k < buttons.length; k += buttonsPerRow) components.push({ type: ComponentType.ActionRow, components: buttons.slice(k, k + buttonsPerRow) });
  return {
    embeds: [{ title: 'Your queue', color: embedColors.queued, fields, footer: { text: 'Places count the requests that will be offered a GPU first (fair order, same servers).' } }],
    components,
  };
}
