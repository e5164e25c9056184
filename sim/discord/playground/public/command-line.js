// Reads what the member types in the composer as Discord's client does: `/name value option:value …`.
// Pure functions, no DOM: the same module is unit-tested in Node.

const OptionType = { Subcommand: 1, SubcommandGroup: 2, String: 3, Integer: 4, Boolean: 5, User: 6, Number: 10 };

/** Commands whose name starts with what follows the `/` (while no space was typed yet). */
export function matchingCommands(text, commands) {
  const m = /^\/(\S*)$/.exec(text);
  if (!m) return [];
  return commands.filter((c) => (c.type ?? 1) === 1 && c.name.startsWith(m[1].toLowerCase()));
}

/**
 * `/imagine a fox model:sd lora:wat` → the command, its options in the order typed, and the option being typed last
 * (`focused`, for autocomplete). Text before the first `name:` goes to the command's first string option. Subcommand
 * groups and subcommands come first as words (`/genadmin model enable model:x`); options then nest inside them.
 * `autocompleteOptions` is `options` with the focused one as typed, even when still empty (what Discord sends).
 */
export function parseCommandLine(text, commands) {
  const m = /^\/(\S+)(?:\s([\s\S]*))?$/.exec(text);
  if (!m) return { error: 'type / and a command name' };
  const command = commands.find((c) => c.name === m[1].toLowerCase() && (c.type ?? 1) === 1);
  if (!command) return { error: `/${m[1]}: no such command here` };
  let defs = command.options ?? [];
  let rest = m[2] ?? '';
  const path = [];
  while (defs.some(isSubcommand)) {
    const word = /^(\s*)(\S*)\s?([\s\S]*)$/.exec(rest);
    const sub = defs.find((d) => isSubcommand(d) && d.name === word[2].toLowerCase());
    if (!sub) {
      const choices = defs.filter(isSubcommand).map((d) => ({ name: d.name, value: d.name, description: d.description }));
      const focused = { name: path.length ? 'subcommand' : 'subcommand or group', value: word[2], raw: rest, autocomplete: false, choices };
      return { command, defs: defs.filter(isSubcommand), used: [], options: [], autocompleteOptions: [], focused, missing: [focused.name] };
    }
    path.push(sub);
    defs = sub.options ?? [];
    rest = word[3];
  }
  const names = defs.map((d) => d.name).sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');
  const marks = names ? [...rest.matchAll(new RegExp(`(^|\\s)(${names}):`, 'g'))] : [];
  const pieces = [];
  const leading = marks.length ? rest.slice(0, marks[0].index) : rest;
  const firstString = defs.find((d) => d.type === OptionType.String);
  if (leading.trim() && firstString) pieces.push({ def: firstString, raw: leading });
  else if (leading.trim()) return { command, error: `/${[command.name, ...path.map((p) => p.name)].join(' ')} takes no free text; use option:value` };
  marks.forEach((mark, i) => {
    const start = mark.index + mark[1].length + mark[2].length + 1;
    const end = i + 1 < marks.length ? marks[i + 1].index : rest.length;
    pieces.push({ def: defs.find((d) => d.name === mark[2]), raw: rest.slice(start, end) });
  });
  const focused = focusOf(pieces, rest);
  const options = [];
  for (const { def, raw } of pieces) {
    const converted = convert(def, raw.trim());
    if (converted.error) return { command, error: converted.error, focused };
    if (converted.value !== undefined) options.push({ name: def.name, value: converted.value });
  }
  const typed = focused ? options.filter((o) => o.name !== focused.name).concat({ name: focused.name, value: focused.value }) : options;
  const missing = defs.filter((d) => d.required && !options.some((o) => o.name === d.name)).map((d) => d.name);
  return { command, defs, used: options.map((o) => o.name), options: nest(path, options), autocompleteOptions: nest(path, typed), focused, missing };
}

function isSubcommand(def) {
  return def.type === OptionType.Subcommand || def.type === OptionType.SubcommandGroup;
}

/** Options inside their subcommand (inside its group), as the interaction payload carries them. */
function nest(path, options) {
  return path.reduceRight((inner, sub) => [{ name: sub.name, options: inner }], options);
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
