import { describe, expect, it } from 'vitest';
import { dumps, floatRepr, loads, repr } from '#sim/comfyui/pyjson.ts';

describe('§1/§10 Python JSON fidelity', () => {
  it('§1 floats print like Python repr, ints stay exact, keys keep document order', () => {
    expect([1e16, 1e-5, 0.0001, 0.1, 8, 123.456, -2.5e-7].map(floatRepr)).toEqual(['1e+16', '1e-05', '0.0001', '0.1', '8.0', '123.456', '-2.5e-07']);
    const text = '{"10": {"a": 8.0, "b": 18446744073709551615}, "2": [true, null, "é"]}';
    expect(dumps(loads(text))).toBe('{"10": {"a": 8.0, "b": 18446744073709551615}, "2": [true, null, "\\u00e9"]}');
    expect(repr(loads('["it\'s", 1.5, null, false]'))).toBe('["it\'s", 1.5, None, False]');
    expect(() => loads('{"a": }')).toThrow(SyntaxError);
  });
});
