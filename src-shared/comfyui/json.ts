/**
 * JSON that keeps 64-bit integers exact. ComfyUI emits seeds and seed maxima up to
 * 18446744073709551615, which a JS number cannot hold.
 */

const integerText = /^-?\d+$/;

// Node 24 has JSON.rawJSON; the es2024 lib typings do not declare it yet.
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/** Parses JSON, turning integers outside the safe range into `bigint`. */
export function parseJsonLossless(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) => {
    if (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source && integerText.test(context.source)) {
      return BigInt(context.source);
    }
    return value;
  });
}

/** Stringifies JSON, writing every `bigint` as a bare integer (never through a JS number). */
export function stringifyJsonLossless(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? rawJSON(v.toString()) : v));
}
