import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIComponentInMessageActionRow, type APIEmbed } from 'discord-api-types/v10';
import type { LoraChoice } from '#shared/db/entities/generation.ts';
import { CustomIdAction, encodeCustomId } from '../custom-id.ts';
import { embedColors } from './colors.ts';
import { embedLimits, truncate } from '#shared/render/limits.ts';

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

function settingsFields(g: QueuedGeneration): APIEmbed['fields'] {
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
 * The "Queued — #N in line" reply with its Cancel button; `notice` (e.g. storageNotice) says why the
 * wait is longer than usual. Pure; stays within Discord's embed limits.
 */
export function queuedMessage(g: QueuedGeneration, position: number, notice?: string): MessageBody {
  return {
    embeds: [
      {
        title: `Queued — #${position} in line`,
        description: truncate(g.prompt, 2000),
        color: embedColors.queued,
        fields: notice ? [{ name: '⏳ Longer wait', value: truncate(notice, 1024), inline: false }, ...settingsFields(g)!] : settingsFields(g),
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

/** After the owner pressed Cancel: the same settings, no buttons. */
/** "Cancelled" once it ended; "Cancelling…" while the GPU server is being told. */
export function cancelRequestedMessage(g: QueuedGeneration & { status?: string }): MessageBody {
  return {
    embeds: [
      {
        title: g.status === 'cancelled' ? 'Cancelled' : 'Cancelling…',
        description: truncate(g.prompt, 2000),
        color: embedColors.cancelled,
        fields: settingsFields(g),
        footer: { text: truncate(`Generation ${g.id}`, embedLimits.footer) },
      },
    ],
    components: [],
  };
}
