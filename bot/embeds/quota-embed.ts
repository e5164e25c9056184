import type { APIEmbed } from 'discord-api-types/v10';
import { discordRelative, windowLabel } from '#shared/limits/describe.ts';
import type { Quota, WindowQuota } from '#shared/limits/quota.ts';
import { embedColors } from './colors.ts';

const n = (v: number) => v.toLocaleString('en-US');
const upTo = (v: number, unit: string, otherwise: string) => (v ? `up to ${n(v)} ${unit}` : otherwise);

function windowValue(w: WindowQuota): string {
  if (!w.limit) return `no cap\n${n(w.used)} used`;
  return `**${n(w.left!)}** of ${n(w.limit)} left\nresets ${discordRelative(w.resetsAt)}`;
}

function summary(q: Quota): string {
  if (q.blocked) return 'You may not generate images here. Ask a moderator if you think this is a mistake.';
  if (q.line.cap && q.line.waiting >= q.line.cap) return `The line is full (${n(q.line.waiting)} waiting, cap ${n(q.line.cap)}): new requests wait until it shortens.`;
  if (q.active.limit && q.active.count >= q.active.limit) return `You have ${n(q.active.count)} requests queued or running, your limit at once: send more when one finishes.`;
  if (q.imagesNow === 0) {
    const empty = q.windows.filter((w) => w.left === 0).sort((a, b) => b.resetsAt.getTime() - a.resetsAt.getTime())[0]!;
    return `You have used all your images ${windowLabel[empty.window]}; more ${discordRelative(empty.resetsAt)}.`;
  }
  return q.imagesNow === null ? 'You can generate now; no image cap applies to you.' : `You can ask for up to **${n(q.imagesNow)}** image${q.imagesNow === 1 ? '' : 's'} in one request now.`;
}

/** The /quota answer: what the member may still do, per window, and when each resets. Pure. */
export function quotaEmbed(q: Quota): APIEmbed {
  const fields = q.windows.map((w) => ({ name: windowLabel[w.window].replace(/^p/, 'P'), value: windowValue(w), inline: true }));
  fields.push(
    { name: 'At once', value: q.active.limit ? `${n(q.active.count)} of ${n(q.active.limit)} queued or running` : `${n(q.active.count)} queued or running (no cap)`, inline: true },
    { name: 'Per request', value: `${upTo(q.maxBatch, 'images', 'any batch')} · ${upTo(q.maxSteps, 'steps', 'any steps')} · ${upTo(q.maxPixels, 'pixels per image', 'any size')}`, inline: false },
  );
  if (q.line.cap) fields.push({ name: 'Line', value: `${n(q.line.waiting)} waiting (new requests refused at ${n(q.line.cap)})`, inline: false });
  return { title: 'Your limits here', description: summary(q), color: q.imagesNow === 0 ? embedColors.error : embedColors.queued, fields };
}
