import { describe, expect, test } from 'vitest';
import { matchingCommands, parseCommandLine, replaceFocusedValue, type CommandDef } from '../../sim/discord/playground/public/command-line.js';

// The playground's composer reads `/imagine a fox model:sd steps:30` the way Discord's client fills options.
const commands: CommandDef[] = [
  {
    name: 'imagine', type: 1, options: [
      { type: 3, name: 'prompt' },
      { type: 3, name: 'model', autocomplete: true },
      { type: 3, name: 'lora', autocomplete: true },
      { type: 10, name: 'lora_strength' },
      { type: 4, name: 'steps' },
      { type: 3, name: 'scheduler', choices: [{ name: 'normal', value: 'normal' }, { name: 'karras', value: 'karras' }] },
    ],
  },
  { name: 'quota', type: 1 },
  { name: 'genadmin', type: 1, options: [{ type: 3, name: 'reason', required: true }] },
  {
    name: 'moderate', type: 1, options: [
      { type: 2, name: 'model', options: [{ type: 1, name: 'enable', options: [{ type: 3, name: 'model', required: true, autocomplete: true }] }, { type: 1, name: 'disable' }] },
      { type: 1, name: 'pause', options: [{ type: 4, name: 'minutes' }] },
    ],
  },
  { name: 'Show prompt', type: 3 },
];

describe('the composer command line', () => {
  test('a slash and a few letters list the chat commands that start so', () => {
    expect(matchingCommands('/', commands).map((c) => c.name)).toEqual(['imagine', 'quota', 'genadmin', 'moderate']);
    expect(matchingCommands('/im', commands).map((c) => c.name)).toEqual(['imagine']);
    expect(matchingCommands('/imagine ', commands)).toEqual([]);
  });

  test('free text goes to the first string option; name:value pairs, typed by the option type, follow', () => {
    const parsed = parseCommandLine('/imagine a fox: at dusk model:sd_xl lora_strength:0.5 lora:water color steps:30', commands);
    expect(parsed.error).toBeUndefined();
    expect(parsed.options).toEqual([
      { name: 'prompt', value: 'a fox: at dusk' },
      { name: 'model', value: 'sd_xl' },
      { name: 'lora_strength', value: 0.5 },
      { name: 'lora', value: 'water color' },
      { name: 'steps', value: 30 },
    ]);
  });

  test('the option typed last is focused, for autocomplete, until a space ends it', () => {
    const typing = parseCommandLine('/imagine a fox model:dre', commands);
    expect(typing.focused).toMatchObject({ name: 'model', value: 'dre', autocomplete: true });
    expect(replaceFocusedValue('/imagine a fox model:dre', typing.focused!, 'dreamshaper_8.safetensors')).toBe('/imagine a fox model:dreamshaper_8.safetensors ');
    expect(parseCommandLine('/imagine a fox model:dreamshaper ', commands).focused).toBeUndefined();
    expect(parseCommandLine('/imagine a fox scheduler:', commands).focused).toMatchObject({ name: 'scheduler', value: '', choices: [{ name: 'normal' }, { name: 'karras' }] });
  });

  test('wrong types, unknown commands, stray text and missing required options are named', () => {
    expect(parseCommandLine('/imagine a fox steps:many', commands).error).toBe('steps: a whole number, please');
    expect(parseCommandLine('/imagine a fox lora_strength:strong', commands).error).toBe('lora_strength: a number, please');
    expect(parseCommandLine('/nope', commands).error).toBe('/nope: no such command here');
    expect(parseCommandLine('/quota please', commands).error).toBe('/quota takes no free text; use option:value');
    expect(parseCommandLine('/genadmin', commands).missing).toEqual(['reason']);
    expect(parseCommandLine('hello', commands).error).toBe('type / and a command name');
  });

  test('subcommand groups and subcommands are words before the options, which nest inside them', () => {
    const choosing = parseCommandLine('/moderate mo', commands);
    expect(choosing.focused).toMatchObject({ value: 'mo', choices: [{ name: 'model' }, { name: 'pause' }] });
    expect(choosing.missing).toEqual(['subcommand or group']);
    expect(replaceFocusedValue('/moderate mo', choosing.focused!, 'model')).toBe('/moderate model ');
    expect(parseCommandLine('/moderate model ', commands).focused).toMatchObject({ name: 'subcommand', choices: [{ name: 'enable' }, { name: 'disable' }] });

    const typing = parseCommandLine('/moderate model enable model:sd', commands);
    expect(typing.options).toEqual([{ name: 'model', options: [{ name: 'enable', options: [{ name: 'model', value: 'sd' }] }] }]);
    expect(typing.focused).toMatchObject({ name: 'model', value: 'sd', autocomplete: true });
    expect(parseCommandLine('/moderate model enable model:', commands).autocompleteOptions).toEqual([
      { name: 'model', options: [{ name: 'enable', options: [{ name: 'model', value: '' }] }] },
    ]);
    expect(parseCommandLine('/moderate model enable', commands).missing).toEqual(['model']);
    expect(parseCommandLine('/moderate pause minutes:5', commands).options).toEqual([{ name: 'pause', options: [{ name: 'minutes', value: 5 }] }]);
    expect(parseCommandLine('/moderate pause soon', commands).error).toBe('/moderate pause takes no free text; use option:value');
  });
});
