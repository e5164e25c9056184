import { PyFloat, repr, str, typeName, type PyValue } from './pyjson.ts';

/** A Python exception as ComfyUI would report it: qualified type name plus `str(ex)`. */
export class PyException extends Error {
  readonly pyType: string;
  constructor(pyType: string, message: string) {
    super(message);
    this.pyType = pyType;
  }
}

/** A Python exception raised outside any node's own execution, with the node it concerns. */
export class NodeFailure extends Error {
  readonly nodeId: string;
  readonly error: PyException;
  constructor(nodeId: string, error: PyException) {
    super(error.message);
    this.nodeId = nodeId;
    this.error = error;
  }
}

export const keyError = (key: PyValue): PyException => new PyException('KeyError', repr(key));

// ASCII isspace plus non-ASCII str.isspace() (JS \s differs: it lacks \x85 and has \ufeff).
const PY_SPACE = '[\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'gu');
const DIGITS = '\\d(?:_?\\d)*';
const INT_TEXT = new RegExp(`^[+-]?${DIGITS}$`);
const FLOAT_TEXT = new RegExp(`^[+-]?(?:(?:(?:${DIGITS})?\\.${DIGITS}|${DIGITS}\\.?)(?:[eE][+-]?${DIGITS})?|inf|infinity|nan)$`, 'i');
/** sys.get_int_max_str_digits() default (Python 3.11+). */
const INT_MAX_STR_DIGITS = 4300;

/**
 * What int()/float() parse after `_PyUnicode_TransformDecimalAndSpaceToASCII`: Python strips its own
 * whitespace set and reads any Unicode decimal digit (category Nd, always in runs of ten from 0).
 */
function asciiNumberText(s: string): string {
  return [...s.replace(STRIP, '')].map((ch) => {
    if (ch >= '0' && ch <= '9') return ch;
    if (!/\p{Nd}/u.test(ch)) return ch;
    let cp = ch.codePointAt(0)!;
    let value = 0;
    while (/\p{Nd}/u.test(String.fromCodePoint(cp - 1))) {
      cp--;
      value++;
    }
    return String(value % 10);
  }).join('');
}

/** Python `int(v)` (base 10 for strings). */
export function pyInt(v: PyValue): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (v instanceof PyFloat) {
    if (Number.isNaN(v.value)) throw new PyException('ValueError', 'cannot convert float NaN to integer');
    if (!Number.isFinite(v.value)) throw new PyException('OverflowError', 'cannot convert float infinity to integer');
    return BigInt(Math.trunc(v.value));
  }
  if (typeof v === 'string') {
    const text = asciiNumberText(v);
    if (!INT_TEXT.test(text)) throw new PyException('ValueError', `invalid literal for int() with base 10: ${repr(v)}`);
    const digits = text.replace(/[^0-9]/g, '').length;
    if (digits > INT_MAX_STR_DIGITS) {
      throw new PyException('ValueError', `Exceeds the limit (${INT_MAX_STR_DIGITS} digits) for integer string conversion: value has ${digits} digits; use sys.set_int_max_str_digits() to increase the limit`);
    }
    return BigInt(text.replaceAll('_', ''));
  }
  throw new PyException('TypeError', `int() argument must be a string, a bytes-like object or a real number, not '${typeName(v)}'`);
}

/** Python `float(v)`. */
export function pyFloatOf(v: PyValue): PyFloat {
  if (v instanceof PyFloat) return v;
  if (typeof v === 'bigint') {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new PyException('OverflowError', 'int too large to convert to float');
    return new PyFloat(n);
  }
  if (typeof v === 'boolean') return new PyFloat(v ? 1 : 0);
  if (typeof v === 'string') {
    const text = asciiNumberText(v);
    if (!FLOAT_TEXT.test(text)) throw new PyException('ValueError', `could not convert string to float: ${repr(v)}`);
    const t = text.replaceAll('_', '').toLowerCase();
    const signless = t.replace(/^[+-]/, '');
    const neg = t.startsWith('-');
    if (signless.startsWith('inf')) return new PyFloat(neg ? -Infinity : Infinity);
    if (signless === 'nan') return new PyFloat(NaN);
    return new PyFloat(Number(t));
  }
  throw new PyException('TypeError', `float() argument must be a string or a real number, not '${typeName(v)}'`);
}

/** Python truthiness, i.e. `bool(v)`. */
export function pyBool(v: PyValue): boolean {
  if (v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v !== 0n;
  if (v instanceof PyFloat) return v.value !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  return v.size > 0;
}

export const pyStrValue = (v: PyValue): string => str(v);

function asNumber(v: PyValue): number | bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (v instanceof PyFloat) return v.value;
  return undefined;
}

/** Python `a < b` for numbers (ints exact, mixed int/float through float). Throws TypeError otherwise. */
export function pyLess(a: PyValue, b: PyValue): boolean {
  const x = asNumber(a);
  const y = asNumber(b);
  if (x === undefined || y === undefined) {
    throw new PyException('TypeError', `'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
  }
  if (typeof x === 'bigint' && typeof y === 'bigint') return x < y;
  return Number(x) < Number(y);
}

/** Python `a == b` for JSON values. */
export function pyEquals(a: PyValue, b: PyValue): boolean {
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== undefined && y !== undefined) {
    if (typeof x === 'bigint' && typeof y === 'bigint') return x === y;
    return Number(x) === Number(y);
  }
  if (typeof a === 'string' || typeof b === 'string' || a === null || b === null) return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => pyEquals(v, b[i]!));
  if (a instanceof Map && b instanceof Map) {
    return a.size === b.size && [...a].every(([k, v]) => b.has(k) && pyEquals(v, b.get(k)!));
  }
  return false;
}
