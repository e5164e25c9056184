/** Python-like conversions ComfyUI applies to literals before range checks (API.md §4.2, §11.4). */

export type Coerced<T> = { ok: true; value: T } | { ok: false };

const intText = /^\s*[+-]?\d+\s*$/;
const floatText = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;
const floatSpecial = /^\s*[+-]?(inf|infinity|nan)\s*$/i;

/** Python `int(v)`: truncates floats, accepts integer strings and booleans, rejects null. */
export function toInt(value: unknown): Coerced<bigint> {
  if (typeof value === 'bigint') return { ok: true, value };
  if (typeof value === 'boolean') return { ok: true, value: value ? 1n : 0n };
  if (typeof value === 'number') return Number.isFinite(value) ? { ok: true, value: BigInt(Math.trunc(value)) } : { ok: false };
  if (typeof value === 'string' && intText.test(value)) return { ok: true, value: BigInt(value.trim()) };
  return { ok: false };
}

/** Python `float(v)`. */
export function toFloat(value: unknown): Coerced<number> {
  if (typeof value === 'number') return { ok: true, value };
  if (typeof value === 'bigint') return { ok: true, value: Number(value) };
  if (typeof value === 'boolean') return { ok: true, value: value ? 1 : 0 };
  if (typeof value === 'string') {
    if (floatText.test(value)) return { ok: true, value: Number(value.trim()) };
    if (floatSpecial.test(value)) {
      const t = value.trim().toLowerCase();
      return { ok: true, value: t.includes('nan') ? NaN : t.startsWith('-') ? -Infinity : Infinity };
    }
  }
  return { ok: false };
}

export function toBigIntBound(bound: number | bigint): bigint {
  return typeof bound === 'bigint' ? bound : BigInt(Math.trunc(bound));
}
