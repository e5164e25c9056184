/**
 * Python's container operators over JSON values, for code paths where ComfyUI never checks a type:
 * `x in v`, `v[k]`, `v[k] = x`, `for x in v`, `v.get(k, d)`. Each raises what CPython 3.12 raises.
 */
import { isDict, typeName, type PyValue } from './pyjson.ts';
import { keyError, pyEquals, PyException } from './pyops.ts';

const isUnhashable = (v: PyValue): boolean => Array.isArray(v) || isDict(v);

function unhashable(v: PyValue): PyException {
  return new PyException('TypeError', `unhashable type: '${typeName(v)}'`);
}

/** What `hash(v)` checks before any dict lookup. */
export function requireHashable(v: PyValue): void {
  if (isUnhashable(v)) throw unhashable(v);
}

/** `item in container`. */
export function pyContains(container: PyValue, item: PyValue): boolean {
  if (isDict(container)) {
    if (isUnhashable(item)) throw unhashable(item);
    return typeof item === 'string' && container.has(item);
  }
  if (Array.isArray(container)) return container.some((x) => pyEquals(x, item));
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw new PyException('TypeError', `'in <string>' requires string as left operand, not ${typeName(item)}`);
    return container.includes(item);
  }
  throw new PyException('TypeError', `argument of type '${typeName(container)}' is not iterable`);
}

/** Python sequence index (`int` or `bool`), negatives counted from the end. */
export function pyIndex(length: number, index: PyValue, what: 'list' | 'tuple' | 'string'): number {
  if (typeof index !== 'bigint' && typeof index !== 'boolean') {
    const not = what === 'string' ? `'${typeName(index)}'` : typeName(index);
    throw new PyException('TypeError', `${what} indices must be integers${what === 'string' ? '' : ' or slices'}, not ${not}`);
  }
  const i = typeof index === 'boolean' ? BigInt(index) : index;
  if (i > 2n ** 63n - 1n || i < -(2n ** 63n)) throw new PyException('IndexError', "cannot fit 'int' into an index-sized integer");
  const at = i < 0n ? BigInt(length) + i : i;
  if (at < 0n || at >= BigInt(length)) throw new PyException('IndexError', `${what} index out of range`);
  return Number(at);
}

/** `container[key]`. */
export function pyGetItem(container: PyValue, key: PyValue): PyValue {
  if (isDict(container)) {
    if (isUnhashable(key)) throw unhashable(key);
    if (typeof key === 'string' && container.has(key)) return container.get(key)!;
    throw keyError(key);
  }
  if (Array.isArray(container)) return container[pyIndex(container.length, key, 'list')]!;
  if (typeof container === 'string') {
    const chars = [...container];
    return chars[pyIndex(chars.length, key, 'string')]!;
  }
  throw new PyException('TypeError', `'${typeName(container)}' object is not subscriptable`);
}

/** `container[key] = value` for a string key (the only kind ComfyUI assigns). */
export function pySetItem(container: PyValue, key: string, value: PyValue): void {
  if (isDict(container)) {
    container.set(key, value);
    return;
  }
  if (Array.isArray(container)) throw new PyException('TypeError', 'list indices must be integers or slices, not str');
  throw new PyException('TypeError', `'${typeName(container)}' object does not support item assignment`);
}

/** `for x in v`: dict keys, list items, string characters. */
export function pyIter(v: PyValue): PyValue[] {
  if (isDict(v)) return [...v.keys()];
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  throw new PyException('TypeError', `'${typeName(v)}' object is not iterable`);
}

/** `v.get(key, fallback)`: only dicts have it. */
export function pyDictGet(v: PyValue, key: string, fallback: PyValue): PyValue {
  if (!isDict(v)) throw new PyException('AttributeError', `'${typeName(v)}' object has no attribute 'get'`);
  return v.has(key) ? v.get(key)! : fallback;
}
