import { PyFloat, repr, str, typeName, type PyValue } from './pyjson.ts';

/** A Python exception as ComfyUI would report it: qualified type name plus `str(ex)`. */
export class PyException extends Error {
  readonly pyType: string;
  constructor(pyType: string, message: string) {
    super(message);
    this.pyType = pyType;
  }
}

export const keyError = (key: PyValue): PyException => new PyException('KeyError', repr(key));

const INT_TEXT = /^\s*[+-]?\d+(?:_\d+)*\s*$/;
const FLOAT_TEXT = /^\s*[+-]?(?:(?:\d+(?:_\d+)*)?\.?\d+(?:_\d+)*(?:[eE][+-]?\d+)?|\d+\.|inf(?:inity)?|nan)\s*$/i;

/** Python `int(v)`. */
export function pyInt(v: PyValue): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (v instanceof PyFloat) {
    if (Number.isNaN(v.value)) throw new PyException('ValueError', 'cannot convert float NaN to integer');
    if (!Number.isFinite(v.value)) throw new PyException('OverflowError', 'cannot convert float infinity to integer');
    return BigInt(Math.trunc(v.value));
  }
  if (typeof v === 'string') {
    if (!INT_TEXT.test(v)) throw new PyException('ValueError', `invalid literal for int() with base 10: ${repr(v)}`);
    return BigInt(v.trim().replaceAll('_', ''));
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
    if (!FLOAT_TEXT.test(v)) throw new PyException('ValueError', `could not convert string to float: ${repr(v)}`);
    const t = v.trim().replaceAll('_', '').toLowerCase();
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
