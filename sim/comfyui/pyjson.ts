/**
 * JSON as Python's `json` module sees it. ComfyUI is Python: `8` is an int and `8.0` a float,
 * integers are unbounded, objects keep document key order (JS objects reorder integer-like
 * keys), and `json.dumps` writes `1.0`, `", "` separators and ASCII-only text.
 */

export class PyFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

export type PyDict = Map<string, PyValue>;
export type PyValue = null | boolean | string | bigint | PyFloat | PyValue[] | PyDict;

/** What `dumps` accepts: Python values plus plain JS data (integral numbers become ints). */
export type Loose = PyValue | number | undefined | Loose[] | Map<string, Loose> | { [key: string]: Loose };

export const pyFloat = (value: number): PyFloat => new PyFloat(value);

export function isDict(v: unknown): v is PyDict {
  return v instanceof Map;
}

class JsonReader {
  readonly text: string;
  pos = 0;
  constructor(text: string) {
    this.text = text;
  }
  fail(what: string): never {
    throw new SyntaxError(`${what}: line 1 column ${this.pos + 1} (char ${this.pos})`);
  }
  skipWs(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos]!)) this.pos++;
  }
  value(): PyValue {
    this.skipWs();
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    for (const [word, v] of [['null', null], ['true', true], ['false', false], ['NaN', new PyFloat(NaN)], ['Infinity', new PyFloat(Infinity)], ['-Infinity', new PyFloat(-Infinity)]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.number();
  }
  number(): PyValue {
    const re = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) this.fail('Expecting value');
    this.pos += m[0].length;
    if (m[1] || m[2]) return new PyFloat(Number(m[0]));
    // int() of the digits, bound by sys.get_int_max_str_digits() (4300) since Python 3.11: a ValueError, not a JSONDecodeError.
    const digits = m[0].replace('-', '').length;
    if (digits > 4300) throw new RangeError(`Exceeds the limit (4300 digits) for integer string conversion: value has ${digits} digits`);
    return BigInt(m[0]);
  }
  string(): string {
    let out = '';
    this.pos++;
    for (;;) {
      const c = this.text[this.pos++];
      if (c === undefined) this.fail('Unterminated string starting at');
      if (c === '"') return out;
      if (c < ' ') this.fail('Invalid control character at');
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[this.pos++];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e !== undefined && e in simple) out += simple[e];
      else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos, this.pos + 4))) {
        out += String.fromCharCode(parseInt(this.text.slice(this.pos, this.pos + 4), 16));
        this.pos += 4;
      } else this.fail('Invalid \\escape');
    }
  }
  array(): PyValue[] {
    const out: PyValue[] = [];
    this.pos++;
    this.skipWs();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.skipWs();
      const c = this.text[this.pos++];
      if (c === ']') return out;
      if (c !== ',') this.fail("Expecting ',' delimiter");
    }
  }
  object(): PyDict {
    const out: PyDict = new Map();
    this.pos++;
    this.skipWs();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWs();
      if (this.text[this.pos] !== '"') this.fail('Expecting property name enclosed in double quotes');
      const key = this.string();
      this.skipWs();
      if (this.text[this.pos++] !== ':') this.fail("Expecting ':' delimiter");
      out.set(key, this.value()); // duplicate key: Python keeps the first position, the last value
      this.skipWs();
      const c = this.text[this.pos++];
      if (c === '}') return out;
      if (c !== ',') this.fail("Expecting ',' delimiter");
    }
  }
}

/** `json.loads`. Throws SyntaxError on malformed input. */
export function loads(text: string): PyValue {
  const reader = new JsonReader(text);
  const v = reader.value();
  reader.skipWs();
  if (reader.pos !== text.length) reader.fail('Extra data');
  return v;
}

/** Python `repr(float)`: shortest round-trip digits, scientific below 1e-4 and from 1e16. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const digits = mant.replace('-', '').replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits[0]! + (digits.length > 1 ? `.${digits.slice(1)}` : '');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const code = s.charCodeAt(i);
    const esc: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };
    if (ch in esc) out += esc[ch];
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function entriesOf(v: Map<string, Loose> | { [key: string]: Loose }): [string, Loose][] {
  return v instanceof Map ? [...v.entries()] : Object.entries(v);
}

/** `json.dumps` with its defaults (", " / ": " separators, ensure_ascii, NaN allowed). */
export function dumps(v: Loose): string {
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : dumps(new PyFloat(v));
  if (typeof v === 'string') return jsonString(v);
  if (v instanceof PyFloat) {
    if (Number.isNaN(v.value)) return 'NaN';
    if (!Number.isFinite(v.value)) return v.value > 0 ? 'Infinity' : '-Infinity';
    return floatRepr(v.value);
  }
  if (Array.isArray(v)) return `[${v.map(dumps).join(', ')}]`;
  return `{${entriesOf(v).map(([k, x]) => `${jsonString(k)}: ${dumps(x)}`).join(', ')}}`;
}

// str.isprintable() is false for these categories (the space excepted); repr() escapes them.
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

function pyEscape(code: number): string {
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && NOT_PRINTABLE.test(ch)) out += pyEscape(code);
    else out += ch;
  }
  return out + quote;
}

/** Python `repr()`. */
export function repr(v: Loose): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : floatRepr(v);
  if (typeof v === 'string') return strRepr(v);
  if (v instanceof PyFloat) return floatRepr(v.value);
  if (Array.isArray(v)) return `[${v.map(repr).join(', ')}]`;
  return `{${entriesOf(v).map(([k, x]) => `${strRepr(k)}: ${repr(x)}`).join(', ')}}`;
}

/** Python `str()`: strings as they are, everything else as `repr`. */
export function str(v: Loose): string {
  return typeof v === 'string' ? v : repr(v);
}

/** Deep copy of a Python value (dicts and lists; scalars are immutable). */
export function deepCopy<T extends PyValue>(v: T): T {
  if (Array.isArray(v)) return v.map(deepCopy) as T;
  if (v instanceof Map) return new Map([...(v as PyDict)].map(([k, x]): [string, PyValue] => [k, deepCopy(x)])) as T;
  return v;
}

/** Python's type name, as used in TypeError messages. */
export function typeName(v: PyValue): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof PyFloat) return 'float';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}
