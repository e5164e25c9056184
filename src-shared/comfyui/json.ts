/**
 * JSON that keeps 64-bit integers exact. ComfyUI emits seeds and seed maxima up to
 * 18446744073709551615, which a JS number cannot hold.
 */

const integerText = /^-?\d+$/;
// An integer beyond 2^53 (9007199254740992) needs at least 16 digits; text without such a run has none.
const mayHoldUnsafeInteger = /\d{16}/;

// Node 24 has JSON.rawJSON; the es2024 lib typings do not declare it yet.
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

function keepBigIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source && integerText.test(context.source)) {
    return BigInt(context.source);
  }
  return value;
}

/**
 * Parses JSON, turning integers outside the safe range into `bigint`. The reviver that does it costs
 * several times a plain parse, so it only runs on text with a run of 16+ digits.
 */
export function parseJsonLossless(text: string): unknown {
  return mayHoldUnsafeInteger.test(text) ? JSON.parse(text, keepBigIntegers) : JSON.parse(text);
}

/** Stringifies JSON, writing every `bigint` as a bare integer (never through a JS number). */
export function stringifyJsonLossless(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? rawJSON(v.toString()) : v));
}
