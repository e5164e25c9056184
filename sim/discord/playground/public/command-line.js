// Reads what the member types in the composer as Discord's client does: `/name value option:value …`.
// Pure functions, no DOM: the same module is unit-tested in Node.

const OptionType = { String: 3, Integer: 4, Boolean: 5, User: 6, Number: 10 };

/** Commands whose name starts with what follows the `/` (while no space was typed yet). */
export function matchingCommands(text, commands) {
  const m = /^\/(\S*)$/.exec(text);
  if (!m) return [];
  return commands.filter((c) => (c.type ?? 1) === 1 && c.name.startsWith(m[1].toLowerCase()));
}

/**
 * `/imagine a fox model:sd lora:wat` → the command, its options in the order typed, and the option being typed last
 * (`focused`, for autocomplete). Text before the first `name:` goes to the command's first string option.
 */
export function parseCommandLine(text, commands) {
  const m = /^\/(\S+)(?:\s([\s\S]*))?$/.exec(text);
  if (!m) return { error: 'type / and a command name' };
  const command = commands.find((c) => c.name === m[1].toLowerCase() && (c.type ?? 1) === 1);
  if (!command) return { error: `/${m[1]}: no such command here` };
  const defs = command.options ?? [];
  const rest = m[2] ?? '';
  const names = defs.map((d) => d.name).sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');
  const marks = names ? [...rest.matchAll(new RegExp(`(^|\\s)(${names}):`, 'g'))] : [];
  const pieces = [];
  const leading = marks.length ? rest.slice(0, marks[0].index) : rest;
  const firstString = defs.find((d) => d.type === OptionType.String);
  if (leading.trim() && firstString) pieces.push({ def: firstString, raw: leading });
  else if (leading.trim()) return { command, error: `/${command.name} takes no free text; use option:value` };
  marks.forEach((mark, i) => {
    const start = mark.index + mark[1].length + mark[2].length + 1;
    const end = i + 1 < marks.length ? marks[i + 1].index : rest.length;
    pieces.push({ def: defs.find((d) => d.name === mark[2]), raw: rest.slice(start, end) });
  });
  const options = [];
  for (const { def, raw } of pieces) {
    const converted = convert(def, raw.trim());
    if (converted.error) return { command, error: converted.error, focused: focusOf(pieces, rest) };
    if (converted.value !== undefined) options.push({ name: def.name, value: converted.value });
  }
  const missing = defs.filter((d) => d.required && !options.some((o) => o.name === d.name)).map((d) => d.name);
  return { command, options, focused: focusOf(pieces, rest), missing };
}

/** The text with the focused (last) option's value replaced, as picking an autocomplete choice does. */
export function replaceFocusedValue(text, focused, value) {
  return `${text.slice(0, text.length - focused.raw.length)}${focused.raw.match(/^\s*/)[0]}${value} `;
}

function focusOf(pieces, rest) {
  const last = pieces.at(-1);
  if (!last || (/\s$/.test(rest) && last.raw.trim())) return undefined; // a space after a value: the member moved on
  return { name: last.def.name, value: last.raw.trim(), raw: last.raw, autocomplete: Boolean(last.def.autocomplete), choices: last.def.choices ?? [] };
}

function convert(def, raw) {
  if (raw === '') return { value: undefined };
  if (def.type === OptionType.Integer) return /^-?\d+$/.test(raw) ? { value: Number(raw) } : { error: `${def.name}: a whole number, please` };
  if (def.type === OptionType.Number) return Number.isFinite(Number(raw)) ? { value: Number(raw) } : { error: `${def.name}: a number, please` };
  if (def.type === OptionType.Boolean) return /^(true|false)$/i.test(raw) ? { value: raw.toLowerCase() === 'true' } : { error: `${def.name}: true or false` };
  return { value: raw };
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
