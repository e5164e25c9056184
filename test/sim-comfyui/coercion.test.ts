import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { PyFloat, type PyValue } from '#sim/comfyui/pyjson.ts';
import { PyException, pyFloatOf, pyInt } from '#sim/comfyui/pyops.ts';
import { historyOf, postPrompt, txt2img } from './helpers.ts';

type Result = bigint | number | string;

/** Python 3.11 `int(v)` / `float(v)`: the value, or "ExceptionType: message" (recorded from CPython). */
const table: [PyValue, Result, Result][] = [
  [' 12 ', 12n, 12], ['1_000', 1000n, 1000], ['+5', 5n, 5], ['-0', 0n, -0], ['00012', 12n, 12],
  ['\u0661\u0662', 12n, 12], ['\uff11\uff12', 12n, 12], ['7\x85', 7n, 7], ['\u30007\u3000', 7n, 7],
  ['1e3', "ValueError: invalid literal for int() with base 10: '1e3'", 1000],
  ['1.5', "ValueError: invalid literal for int() with base 10: '1.5'", 1.5],
  ['5.', "ValueError: invalid literal for int() with base 10: '5.'", 5],
  ['.5', "ValueError: invalid literal for int() with base 10: '.5'", 0.5],
  ['5.e3', "ValueError: invalid literal for int() with base 10: '5.e3'", 5000],
  ['1_0.0_1', "ValueError: invalid literal for int() with base 10: '1_0.0_1'", 10.01],
  ['1e1_0', "ValueError: invalid literal for int() with base 10: '1e1_0'", 1e10],
  ['inf', "ValueError: invalid literal for int() with base 10: 'inf'", Infinity],
  ['-Infinity', "ValueError: invalid literal for int() with base 10: '-Infinity'", -Infinity],
  ['NaN', "ValueError: invalid literal for int() with base 10: 'NaN'", NaN],
  ['+nan', "ValueError: invalid literal for int() with base 10: '+nan'", NaN],
  ['\uff11.\uff15', "ValueError: invalid literal for int() with base 10: '\uff11.\uff15'", 1.5],
  ['1__0', "ValueError: invalid literal for int() with base 10: '1__0'", "ValueError: could not convert string to float: '1__0'"],
  ['_1', "ValueError: invalid literal for int() with base 10: '_1'", "ValueError: could not convert string to float: '_1'"],
  ['1_', "ValueError: invalid literal for int() with base 10: '1_'", "ValueError: could not convert string to float: '1_'"],
  ['0x10', "ValueError: invalid literal for int() with base 10: '0x10'", "ValueError: could not convert string to float: '0x10'"],
  ['\x1c7', "ValueError: invalid literal for int() with base 10: '\\x1c7'", "ValueError: could not convert string to float: '\\x1c7'"],
  ['\ufeff7', "ValueError: invalid literal for int() with base 10: '\\ufeff7'", "ValueError: could not convert string to float: '\\ufeff7'"],
  ['', "ValueError: invalid literal for int() with base 10: ''", "ValueError: could not convert string to float: ''"],
  ['  ', "ValueError: invalid literal for int() with base 10: '  '", "ValueError: could not convert string to float: '  '"],
  ['+', "ValueError: invalid literal for int() with base 10: '+'", "ValueError: could not convert string to float: '+'"],
  ['1 2', "ValueError: invalid literal for int() with base 10: '1 2'", "ValueError: could not convert string to float: '1 2'"],
  ['infinit', "ValueError: invalid literal for int() with base 10: 'infinit'", "ValueError: could not convert string to float: 'infinit'"],
  [true, 1n, 1], [false, 0n, 0],
  [new PyFloat(5.7), 5n, 5.7], [new PyFloat(-5.7), -5n, -5.7], [new PyFloat(1e20), 100000000000000000000n, 1e20],
  [new PyFloat(NaN), 'ValueError: cannot convert float NaN to integer', NaN],
  [new PyFloat(Infinity), 'OverflowError: cannot convert float infinity to integer', Infinity],
  [null, "TypeError: int() argument must be a string, a bytes-like object or a real number, not 'NoneType'", "TypeError: float() argument must be a string or a real number, not 'NoneType'"],
  [18446744073709551616n, 18446744073709551616n, 2 ** 64],
  ['9'.repeat(4301), 'ValueError: Exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits; use sys.set_int_max_str_digits() to increase the limit', Infinity],
];

function outcome(convert: () => bigint | PyFloat): Result {
  try {
    const v = convert();
    return v instanceof PyFloat ? v.value : v;
  } catch (ex) {
    if (!(ex instanceof PyException)) throw ex;
    return `${ex.pyType}: ${ex.message}`;
  }
}

describe('§4.2 coercion: int()/float() accept and refuse exactly what CPython does', () => {
  const label = (v: PyValue): string => (v instanceof PyFloat ? `float ${v.value}` : typeof v === 'bigint' ? `${v}` : JSON.stringify(v).slice(0, 30));
  it.each(table.map(([value, asInt, asFloat]) => ({ shown: label(value), value, asInt, asFloat })))('int() and float() of $shown', ({ value, asInt, asFloat }) => {
    expect(outcome(() => pyInt(value))).toBe(asInt);
    expect(outcome(() => pyFloatOf(value))).toBe(asFloat);
  });
});

describe('§4.2 coercion over HTTP: accepted values are written back and run, refused ones are invalid_input_type', () => {
  let sim: ComfySim;
  beforeAll(async () => {
    sim = await startComfySim({ secondsPerStep: 0.001 });
  });
  afterAll(() => sim.close());

  type NodeErr = { errors: { type: string; message: string; details: string }[] };
  const rows: { input: 'steps' | 'cfg'; sent: unknown; stored?: number; error?: [string, string, string] }[] = [
    { input: 'steps', sent: ' 12 ', stored: 12 }, { input: 'steps', sent: '1_0', stored: 10 }, { input: 'steps', sent: '+5', stored: 5 },
    { input: 'steps', sent: '\u0661\u0662', stored: 12 }, { input: 'steps', sent: '\u00a07', stored: 7 }, { input: 'steps', sent: true, stored: 1 },
    { input: 'steps', sent: 5.7, stored: 5 },
    { input: 'steps', sent: '1e3', error: ['invalid_input_type', 'Failed to convert an input value to a INT value', "steps, 1e3, invalid literal for int() with base 10: '1e3'"] },
    { input: 'steps', sent: ' 1.5 ', error: ['invalid_input_type', 'Failed to convert an input value to a INT value', "steps,  1.5 , invalid literal for int() with base 10: ' 1.5 '"] },
    { input: 'steps', sent: '\ufeff7', error: ['invalid_input_type', 'Failed to convert an input value to a INT value', "steps, \ufeff7, invalid literal for int() with base 10: '\\ufeff7'"] },
    { input: 'steps', sent: '0', error: ['value_smaller_than_min', 'Value 0 smaller than min of 1', 'steps'] },
    { input: 'cfg', sent: '1e1', stored: 10 }, { input: 'cfg', sent: ' 7.5 ', stored: 7.5 }, { input: 'cfg', sent: '1_0.5', stored: 10.5 },
    { input: 'cfg', sent: '5.', stored: 5 }, { input: 'cfg', sent: '\uff11.\uff15', stored: 1.5 }, { input: 'cfg', sent: true, stored: 1 },
    { input: 'cfg', sent: 'nan', stored: NaN },
    { input: 'cfg', sent: 'inf', error: ['value_bigger_than_max', 'Value inf bigger than max of 100.0', 'cfg'] },
    { input: 'cfg', sent: '-inf', error: ['value_smaller_than_min', 'Value -inf smaller than min of 0.0', 'cfg'] },
    { input: 'cfg', sent: 'abc', error: ['invalid_input_type', 'Failed to convert an input value to a FLOAT value', "cfg, abc, could not convert string to float: 'abc'"] },
  ];

  it.each(rows)('$input = $sent', async ({ input, sent, stored, error }) => {
    const prompt = txt2img().replace(input === 'steps' ? '"steps": 3' : '"cfg": 7', `"${input}": ${JSON.stringify(sent)}`);
    const { status, body } = await postPrompt(sim, prompt);
    if (error) {
      expect(status).toBe(400);
      const [type, message, details] = error;
      expect((body.node_errors as Record<string, NodeErr>)['3']!.errors).toEqual([expect.objectContaining({ type, message, details })]);
      return;
    }
    expect(status).toBe(200);
    const entry = await historyOf(sim, body.prompt_id as string);
    expect(entry.status.status_str).toBe('success');
    expect((entry.prompt[2] as Record<string, { inputs: Record<string, unknown> }>)['3']!.inputs[input]).toBe(stored);
  });
});
