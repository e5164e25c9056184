import type { Refusal } from './refusal.ts';
import type { WindowName } from './windows.ts';

/** Discord renders `<t:unix:R>` as "in 5 minutes" in the reader's own language and time zone. */
export function discordRelative(at: Date): string {
  return `<t:${Math.ceil(at.getTime() / 1000)}:R>`;
}

export function discordTime(at: Date): string {
  return `<t:${Math.ceil(at.getTime() / 1000)}:t>`;
}

const n = (v: number) => v.toLocaleString('en-US');
const images = (v: number) => `${n(v)} image${v === 1 ? '' : 's'}`;

export function duration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export const windowLabel: Record<WindowName, string> = { minute: 'per minute', hour: 'per hour', day: 'per day' };

/** The ephemeral answer to a refused request: which limit, the numbers, and when it frees up. Pure. */
export function refusalMessage(r: Refusal, now: Date): string {
  switch (r.kind) {
    case 'blocked':
      return 'You may not generate images here. Ask a moderator if you think this is a mistake.';
    case 'batch':
      return r.because
        ? `\`batch\` ${n(r.requested)} is more than your limit of ${images(r.max)} ${windowLabel[r.because]}. Ask for ${n(r.max)} or fewer.`
        : `\`batch\` ${n(r.requested)} is over your limit of ${images(r.max)} per request. Ask for ${n(r.max)} or fewer.`;
    case 'steps':
      return `\`steps\` ${n(r.requested)} is over your limit of ${n(r.max)} steps. Use ${n(r.max)} or fewer.`;
    case 'pixels':
      return `\`size\` ${r.width}×${r.height} (${n(r.width * r.height)} pixels) is over your limit of ${n(r.max)} pixels per image` +
        ` (${exampleSize(r.max)} fits). Pick a smaller size.`;
    case 'window': {
      const left = Math.max(0, r.limit - r.used);
      return `Limit reached: ${images(r.limit)} ${windowLabel[r.window]}. You have used ${n(r.used)} of ${n(r.limit)} ` +
        `and this request needs ${n(r.requested)}${left ? ` (${n(left)} left)` : ''}. ` +
        `The count starts again ${discordRelative(r.freesAt)} (at ${discordTime(r.freesAt)}).`;
    }
    case 'active':
      return `Limit reached: ${n(r.limit)} request${r.limit === 1 ? '' : 's'} queued or running at once. You have ${n(r.active)} ` +
        `waiting or running; send this again when one of them has finished.`;
    case 'line': {
      const wait = r.waitSeconds === null ? '' : ` The current wait is about ${duration(r.waitSeconds)} (a request sent now would start ${discordRelative(new Date(now.getTime() + r.waitSeconds * 1000))}).`;
      return `The line is full: ${n(r.waiting)} requests are waiting and the cap is ${n(r.cap)}.${wait} Please try again later.`;
    }
    case 'contended':
      return 'Several of your requests arrived at the same moment and this one did not fit. Please send it again.';
  }
}

/** The largest square a pixel cap allows, in multiples of 8 (e.g. 1 048 576 → 1024×1024). */
function exampleSize(maxPixels: number): string {
  const side = Math.floor(Math.sqrt(maxPixels) / 8) * 8;
  return `${side}×${side}`;
}
