import { truncate } from '#shared/render/limits.ts';

/** One LoRA as the user asked for it; a null strength means "the model's default". */
export interface LoraRequest {
  name: string;
  strength: number | null;
}

export const loraLimits = { maxCount: 4, minStrength: -2, maxStrength: 2, maxNameLength: 200 } as const;

export type LoraListResult = { ok: true; value: LoraRequest[] } | { ok: false; message: string };

const entryShape = /^(.+?)(?:\s*:\s*(-?\d+(?:\.\d+)?|-?\.\d+))?$/s;

/** Parses the modal's `name:0.8, other:0.5` list (strength optional). Pure. */
export function parseLoraList(text: string): LoraListResult {
  const entries = text.split(/[,\n]/).map((e) => e.trim()).filter(Boolean);
  if (entries.length > loraLimits.maxCount) return { ok: false, message: `at most ${loraLimits.maxCount} LoRAs, as \`name:0.8, other:0.5\`` };
  const value: LoraRequest[] = [];
  for (const entry of entries) {
    const match = entryShape.exec(entry);
    const name = match?.[1]?.trim() ?? '';
    if (!name || name.length > loraLimits.maxNameLength) return { ok: false, message: `a list like \`name:0.8, other:0.5\` (could not read "${truncate(entry, 50)}")` };
    const strength = match?.[2] === undefined ? null : Number(match[2]);
    if (strength !== null && (strength < loraLimits.minStrength || strength > loraLimits.maxStrength)) {
      return { ok: false, message: `strengths from ${loraLimits.minStrength} to ${loraLimits.maxStrength} (got ${strength} for ${name})` };
    }
    if (value.some((v) => v.name === name)) return { ok: false, message: `each LoRA once (${name} is listed twice)` };
    value.push({ name, strength });
  }
  return { ok: true, value };
}

/** Renders LoRAs back into the modal's text form (to prefill it). */
export function formatLoraList(loras: readonly LoraRequest[]): string {
  return loras.map((l) => (l.strength === null ? l.name : `${l.name}:${l.strength}`)).join(', ');
}
