import { censor, scrubText, secretKey } from './scrub-text.ts';

/*
 * Hand-written rather than pino's `redact` or a serialiser package: redact paths are fixed
 * (no "any depth", no "inside any error"), and serialize-error-style packages copy every
 * property verbatim (Buffers, URLs with tokens). Here one walk does it all: errors with their
 * own properties, `cause` and AggregateError `errors`; binary placeholders; secret-named keys;
 * every string scrubbed; depth, breadth and output size bounded, cycles cut.
 */
const limits = {
  depth: 8,
  keys: 40,
  items: 20,
  string: 2048,
  stack: 4096,
  /** Rough output characters per log line; past it, values become `[truncated]`. */
  chars: 8192,
};

interface Walk {
  chars: number;
  readonly ancestors: Set<object>;
}

const newWalk = (): Walk => ({ chars: limits.chars, ancestors: new Set() });

/** A JSON-safe copy of any value with no secrets and no bulk data. */
export function sanitize(value: unknown): unknown {
  return walk(value, 0, newWalk());
}

/** The same for the fields of one log line (pino's merge object or child bindings). */
export function sanitizeFields(fields: Record<string, unknown>): Record<string, unknown> {
  return ownFields(fields, 0, newWalk());
}

function walk(value: unknown, depth: number, w: Walk): unknown {
  switch (typeof value) {
    case 'string':
      return text(value, w, limits.string);
    case 'number':
    case 'boolean':
    case 'undefined':
      w.chars -= 1;
      return value;
    case 'bigint':
    case 'symbol':
      return value.toString();
    case 'function':
      return undefined;
  }
  if (value === null) return null;
  const obj = value as object;
  if (w.ancestors.has(obj)) return '[circular]';
  w.ancestors.add(obj);
  try {
    const bytes = binarySize(obj);
    if (bytes !== undefined) return `[binary ${bytes} bytes]`;
    if (w.chars <= 0) return '[truncated]';
    if (depth >= limits.depth) return '[too deep]';
    return walkObject(obj, depth, w);
  } catch {
    // A getter or proxy that throws must not make the log call throw.
    return '[unserialisable]';
  } finally {
    w.ancestors.delete(obj);
  }
}

function walkObject(obj: object, depth: number, w: Walk): unknown {
  if (obj instanceof Error) return errorFields(obj, depth, w);
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
  if (obj instanceof URL) return text(obj.href, w, limits.string);
  if (Array.isArray(obj)) return items(obj, depth, w);
  if (obj instanceof Set) return items([...take(obj.values(), limits.items)], depth, w, obj.size);
  if (obj instanceof Map) return ownFields(Object.fromEntries(take(obj.entries(), limits.keys)), depth, w, noSkip, obj.size);
  if (obj instanceof Headers) return ownFields(Object.fromEntries(obj.entries()), depth, w);
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return walk(toJSON.call(obj), depth + 1, w);
  return ownFields(obj, depth, w);
}

function errorFields(err: Error, depth: number, w: Walk): Record<string, unknown> {
  const type = err.constructor?.name || 'Error';
  const out: Record<string, unknown> = { type };
  if (err.name && err.name !== type) out.name = text(String(err.name), w, 200);
  out.message = text(String(err.message), w, limits.string);
  if (typeof err.stack === 'string') out.stack = text(err.stack, w, limits.stack);
  Object.assign(out, ownFields(err, depth, w, errorTextKeys));
  // `cause` and AggregateError `errors` are own but not enumerable, so ownFields skips them.
  if (err.cause !== undefined && !('cause' in out)) out.cause = walk(err.cause, depth + 1, w);
  const errors = (err as { errors?: unknown }).errors;
  if (Array.isArray(errors) && !('errors' in out)) out.errors = walk(errors, depth + 1, w);
  return out;
}

const noSkip: ReadonlySet<string> = new Set();
const errorTextKeys: ReadonlySet<string> = new Set(['message', 'stack', 'name']);

function ownFields(obj: object, depth: number, w: Walk, skip = noSkip, total?: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const all = Object.keys(obj);
  const keys = skip.size === 0 ? all : all.filter((k) => !skip.has(k));
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i >= limits.keys || w.chars <= 0) {
      out['…'] = `${(total ?? keys.length) - i} more keys`;
      break;
    }
    w.chars -= key.length + 4;
    let value: unknown;
    try {
      value = (obj as Record<string, unknown>)[key];
    } catch {
      value = '[unreadable]';
    }
    const secret = secretKey.test(key) && (typeof value === 'string' || (typeof value === 'object' && value !== null));
    out[key] = secret ? censor : walk(value, depth + 1, w);
  }
  if (total !== undefined && total > keys.length && !('…' in out)) out['…'] = `${total - keys.length} more keys`;
  return out;
}

function items(list: readonly unknown[], depth: number, w: Walk, total = list.length): unknown {
  if (looksLikeBytes(list)) return `[binary ${total} bytes as numbers]`;
  const out = list.slice(0, limits.items).map((v) => walk(v, depth + 1, w));
  if (total > limits.items) out.push(`…${total - limits.items} more items`);
  return out;
}

function text(s: string, w: Walk, max: number): string {
  const scrubbed = w.chars <= 0 ? '[truncated]' : scrubText(s, Math.max(64, Math.min(max, w.chars)));
  w.chars -= scrubbed.length + 2;
  return scrubbed;
}

function binarySize(v: object): number | undefined {
  if (ArrayBuffer.isView(v)) return v.byteLength;
  if (v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return v.byteLength;
  if (v instanceof Blob) return v.size;
  // A Buffer that already went through JSON: { type: 'Buffer', data: [137, 80, …] }.
  const json = v as { type?: unknown; data?: unknown };
  if (json.type === 'Buffer' && Array.isArray(json.data)) return json.data.length;
  return undefined;
}

// A long list of small integers is almost surely bytes (Array.from(buffer)); don't print them.
function looksLikeBytes(list: readonly unknown[]): boolean {
  if (list.length < 64) return false;
  for (let i = 0; i < 64; i++) {
    const v = list[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) return false;
  }
  return true;
}

function* take<T>(it: Iterator<T>, n: number): Generator<T> {
  for (let i = 0; i < n; i++) {
    const next = it.next();
    if (next.done) return;
    yield next.value;
  }
}

/**
 * A plain Error carrying the sanitised form of `err`, for errors that are stored rather than
 * logged (pg-boss keeps a failed job's error, with all its properties, in its table).
 */
export function sanitizedError(err: Error, message = err.message): Error {
  const { type, name, message: _message, ...fields } = sanitize(err) as Record<string, unknown>;
  const copy = new Error(scrubText(message));
  copy.name = String(name ?? type);
  return Object.assign(copy, fields);
}
