// Pure: what a member sees of one message, as short lines for the demo's transcript.
interface ShownEmbed {
  title?: string;
  description?: string;
  fields?: { name: string; value: string }[];
}
interface ShownMessage {
  content?: string | null;
  embeds?: unknown[];
  attachments?: { filename?: string; size?: number; url?: string }[];
  components?: unknown[];
}

/** Lines as Discord renders them: `**bold**` without its marks, `<t:…:R>` as relative time from `now`. */
export function messageLines(message: ShownMessage, now = Date.now()): string[] {
  return rawLines(message).map((line) => asRendered(line, now));
}

export function asRendered(line: string, now: number): string {
  return line.replace(/\*\*/g, '').replace(/<t:(\d+):R>/g, (_, seconds: string) => relative(Number(seconds) * 1000 - now));
}

function relative(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const amount = s < 90 ? `${s} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
  return ms >= 0 ? `in ${amount}` : `${amount} ago`;
}

function rawLines(message: ShownMessage): string[] {
  const lines: string[] = [];
  if (message.content) lines.push(...message.content.split('\n'));
  for (const raw of message.embeds ?? []) {
    const embed = raw as ShownEmbed;
    if (embed.title) lines.push(embed.title);
    if (embed.description) lines.push(...embed.description.split('\n'));
    for (const field of embed.fields ?? []) lines.push(`${field.name}: ${field.value.replace(/\n/g, ' ')}`);
  }
  for (const a of message.attachments ?? []) lines.push(`[attachment ${a.filename ?? ''} ${a.size ?? '?'} bytes]`);
  const buttons = buttonLabels(message.components ?? []);
  if (buttons.length) lines.push(`buttons: ${buttons.map((b) => `[${b}]`).join(' ')}`);
  return lines;
}

export function buttonCustomIds(components: unknown[]): string[] {
  return flattenComponents(components).flatMap((c) => (typeof c.custom_id === 'string' ? [c.custom_id] : []));
}

function buttonLabels(components: unknown[]): string[] {
  return flattenComponents(components).flatMap((c) => (c.type === 2 && typeof c.label === 'string' ? [c.label] : []));
}

function flattenComponents(components: unknown[]): { type?: number; label?: unknown; custom_id?: unknown }[] {
  return components.flatMap((row) => {
    const r = row as { type?: number; components?: unknown[] };
    return r.components ? flattenComponents(r.components) : [r as { type?: number; label?: unknown; custom_id?: unknown }];
  });
}
