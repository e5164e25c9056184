import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIComponentInMessageActionRow, type APIEmbed } from 'discord-api-types/v10';
import type { LoraChoice } from '#shared/db/entities/generation.ts';
import { CustomIdAction, encodeCustomId } from '#shared/discord/custom-id.ts';
import { etaText, placeTitle, type LinePlace } from '#shared/generation/line-place.ts';
import { embedLimits, truncate } from './limits.ts';

const colors = { queued: 0x5865f2, cancelled: 0x99aab5 };

export interface QueuedGeneration {
  id: string;
  prompt: string;
  negativePrompt: string;
  checkpoint: string;
  loras: LoraChoice[];
  width: number;
  height: number;
  batchSize: number;
  steps: number;
  cfg: number;
  sampler: string;
  scheduler: string;
  seed: string;
}

export interface MessageBody {
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIComponentInMessageActionRow>[];
}

/** A place without an estimate (the first reply, before the scheduler measured the line). */
export type ShownPlace = Omit<LinePlace, 'etaSeconds'> & { etaSeconds?: number | null };

function settingsFields(g: QueuedGeneration): NonNullable<APIEmbed['fields']> {
  const fields = [
    { name: 'Model', value: truncate(g.checkpoint, 200), inline: true },
    { name: 'Size', value: `${g.width}×${g.height}${g.batchSize > 1 ? ` ×${g.batchSize}` : ''}`, inline: true },
    { name: 'Seed', value: g.seed, inline: true },
    { name: 'Sampling', value: truncate(`${g.steps} steps · cfg ${g.cfg} · ${g.sampler} / ${g.scheduler}`, 200), inline: false },
  ];
  if (g.loras.length) {
    fields.push({ name: 'LoRAs', value: truncate(g.loras.map((l) => `${l.name} (${l.strengthModel})`).join(', '), 500), inline: false });
  }
  if (g.negativePrompt) fields.push({ name: 'Negative', value: truncate(g.negativePrompt, 500), inline: false });
  return fields;
}

/**
 * The "Queued — #N in line" message with its Cancel button, and the ETA once the scheduler
 * estimated one. Pure; stays within Discord's embed limits. The bot sends it as the first reply,
 * the scheduler edits it as the line moves. `notice` (e.g. storageNotice) says why the wait is
 * longer than usual.
 */
export function queuedMessage(g: QueuedGeneration, place: ShownPlace, notice?: string): MessageBody {
  const fields = settingsFields(g);
  if (place.etaSeconds !== undefined) fields.unshift({ name: 'Ready in', value: etaText({ ...place, etaSeconds: place.etaSeconds }), inline: false });
  if (notice) fields.unshift({ name: '⏳ Longer wait', value: truncate(notice, 1024), inline: false });
  return {
    embeds: [
      {
        title: `Queued — ${placeTitle({ ...place, etaSeconds: null })}`,
        description: truncate(g.prompt, 2000),
        color: colors.queued,
        fields,
        footer: { text: truncate(`Generation ${g.id}`, embedLimits.footer) },
      },
    ],
    components: [
      {
        type: ComponentType.ActionRow,
        components: [
          { type: ComponentType.Button, style: ButtonStyle.Danger, label: 'Cancel', custom_id: encodeCustomId(CustomIdAction.Cancel, g.id) },
        ],
      },
    ],
  };
}

/** After the owner pressed Cancel: "Cancelled" once it ended; "Cancelling…" while the GPU server is being told. No buttons. */
export function cancelRequestedMessage(g: QueuedGeneration & { status?: string }): MessageBody {
  return {
    embeds: [
      {
        title: g.status === 'cancelled' ? 'Cancelled' : 'Cancelling…',
        description: truncate(g.prompt, 2000),
        color: colors.cancelled,
        fields: settingsFields(g),
        footer: { text: truncate(`Generation ${g.id}`, embedLimits.footer) },
      },
    ],
    components: [],
  };
}
