import { ErrorTree } from '../errors.ts';

/**
 * Discord limits the OpenAPI spec cannot express (or expresses looser than the docs): embed totals, action-row
 * layout, unique custom_ids, modal size, attachment count. Each check adds to a Discord-shaped error tree.
 */
type Path = Array<string | number>;
type Obj = Record<string, unknown>;

const IS_COMPONENTS_V2 = 1 << 15;
const ComponentType = { ActionRow: 1, Button: 2, TextInput: 4, Label: 18 } as const;
const selectTypes = new Set([3, 5, 6, 7, 8]);
const LINK_STYLE = 5;
const PREMIUM_STYLE = 6;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});

function maxLen(tree: ErrorTree, path: Path, value: unknown, max: number): void {
  if (typeof value === 'string' && value.length > max) tree.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
}

function checkEmbeds(tree: ErrorTree, embeds: unknown[]): void {
  if (embeds.length > 10) tree.add(['embeds'], 'BASE_TYPE_BAD_LENGTH', 'Must be 10 or fewer in length.');
  let total = 0;
  for (const [i, raw] of embeds.entries()) {
    const e = obj(raw);
    const fields = arr(e.fields).map(obj);
    maxLen(tree, ['embeds', i, 'title'], e.title, 256);
    maxLen(tree, ['embeds', i, 'description'], e.description, 4096);
    maxLen(tree, ['embeds', i, 'footer', 'text'], obj(e.footer).text, 2048);
    maxLen(tree, ['embeds', i, 'author', 'name'], obj(e.author).name, 256);
    if (fields.length > 25) tree.add(['embeds', i, 'fields'], 'BASE_TYPE_BAD_LENGTH', 'Must be 25 or fewer in length.');
    for (const [j, f] of fields.entries()) {
      maxLen(tree, ['embeds', i, 'fields', j, 'name'], f.name, 256);
      maxLen(tree, ['embeds', i, 'fields', j, 'value'], f.value, 1024);
      total += str(f.name).length + str(f.value).length;
    }
    total += str(e.title).length + str(e.description).length + str(obj(e.footer).text).length + str(obj(e.author).name).length;
  }
  if (total > 6000) tree.add(['embeds'], 'MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000');
}

function checkCustomId(tree: ErrorTree, path: Path, c: Obj, seen: Set<string>): void {
  const id = c.custom_id;
  if (typeof id !== 'string') return;
  if (id.length < 1 || id.length > 100) tree.add([...path, 'custom_id'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
  if (seen.has(id)) tree.add([...path, 'custom_id'], 'COMPONENT_CUSTOM_ID_DUPLICATED', 'Component custom id cannot be duplicated');
  seen.add(id);
}

function walkComponents(tree: ErrorTree, path: Path, list: unknown[], seen: Set<string>, visit: (c: Obj, p: Path) => void): void {
  for (const [i, raw] of list.entries()) {
    const c = obj(raw);
    const p = [...path, i];
    checkCustomId(tree, p, c, seen);
    visit(c, p);
    if (Array.isArray(c.components)) walkComponents(tree, [...p, 'components'], c.components, seen, visit);
    if (c.component) walkComponents(tree, [...p, 'component'], [c.component], seen, visit);
    if (c.accessory) walkComponents(tree, [...p, 'accessory'], [c.accessory], seen, visit);
  }
}

function checkButtonOrSelect(tree: ErrorTree, c: Obj, p: Path): void {
  if (c.type === ComponentType.Button) {
    maxLen(tree, [...p, 'label'], c.label, 80);
    const needsCustomId = c.style !== LINK_STYLE && c.style !== PREMIUM_STYLE;
    if (needsCustomId && typeof c.custom_id !== 'string') tree.add([...p, 'custom_id'], 'BASE_TYPE_REQUIRED', 'This field is required');
    if (c.style === LINK_STYLE && c.custom_id !== undefined) tree.add([...p, 'custom_id'], 'BUTTON_COMPONENT_CUSTOM_ID_FORBIDDEN', 'Link buttons cannot have a custom_id');
  }
  if (selectTypes.has(c.type as number)) {
    maxLen(tree, [...p, 'placeholder'], c.placeholder, 150);
    const options = arr(c.options).map(obj);
    if (options.length > 25) tree.add([...p, 'options'], 'BASE_TYPE_BAD_LENGTH', 'Must be 25 or fewer in length.');
    for (const [k, o] of options.entries()) {
      for (const f of ['label', 'value', 'description']) maxLen(tree, [...p, 'options', k, f], o[f], 100);
    }
  }
}

function checkLegacyRows(tree: ErrorTree, components: unknown[]): void {
  if (components.length > 5) tree.add(['components'], 'BASE_TYPE_BAD_LENGTH', 'Must be 5 or fewer in length.');
  for (const [i, raw] of components.entries()) {
    const row = obj(raw);
    if (row.type !== ComponentType.ActionRow) {
      tree.add(['components', i, 'type'], 'COMPONENT_LAYOUT_INVALID', 'Top-level components must be action rows unless IS_COMPONENTS_V2 is set');
      continue;
    }
    const children = arr(row.components).map(obj);
    const buttons = children.filter((c) => c.type === ComponentType.Button).length;
    const selects = children.filter((c) => selectTypes.has(c.type as number)).length;
    if (buttons > 5) tree.add(['components', i, 'components'], 'BASE_TYPE_BAD_LENGTH', 'Must be 5 or fewer in length.');
    if (selects > 0 && children.length > 1) tree.add(['components', i, 'components'], 'COMPONENT_LAYOUT_WIDTH_EXCEEDED', 'A select menu must be alone in its action row');
  }
}

function countComponents(list: unknown[]): number {
  let n = 0;
  for (const raw of list) {
    const c = obj(raw);
    n += 1 + countComponents(arr(c.components)) + (c.accessory ? 1 : 0) + (c.component ? 1 : 0);
  }
  return n;
}

/** Message bodies: channel messages, webhook executes/edits, interaction callback data (types 4 and 7). */
export function checkMessageLimits(body: unknown, fileCount: number): ErrorTree {
  const tree = new ErrorTree();
  const b = obj(body);
  const flags = typeof b.flags === 'number' ? b.flags : 0;
  maxLen(tree, ['content'], b.content, 2000);
  checkEmbeds(tree, arr(b.embeds));
  const components = arr(b.components);
  if (flags & IS_COMPONENTS_V2) {
    if (b.content) tree.add(['content'], 'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2', 'content cannot be used with IS_COMPONENTS_V2');
    if (arr(b.embeds).length) tree.add(['embeds'], 'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2', 'embeds cannot be used with IS_COMPONENTS_V2');
    if (countComponents(components) > 40) tree.add(['components'], 'BASE_TYPE_BAD_LENGTH', 'Must contain 40 or fewer components in total.');
  } else {
    checkLegacyRows(tree, components);
  }
  walkComponents(tree, ['components'], components, new Set(), (c, p) => checkButtonOrSelect(tree, c, p));
  if (arr(b.attachments).length > 10) tree.add(['attachments'], 'BASE_TYPE_BAD_LENGTH', 'Must be 10 or fewer in length.');
  if (fileCount > 10) tree.add(['files'], 'BASE_TYPE_BAD_LENGTH', 'Must be 10 or fewer in length.');
  return tree;
}

/** Modal (callback type 9) data. The docs allow 1–5 top-level components; the spec says 40. */
export function checkModalLimits(data: unknown): ErrorTree {
  const tree = new ErrorTree();
  const d = obj(data);
  const components = arr(d.components);
  if (str(d.custom_id).length < 1 || str(d.custom_id).length > 100) tree.add(['data', 'custom_id'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
  if (str(d.title).length < 1 || str(d.title).length > 45) tree.add(['data', 'title'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 45 in length.');
  if (components.length < 1 || components.length > 5) tree.add(['data', 'components'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 5 in length.');
  walkComponents(tree, ['data', 'components'], components, new Set(), (c, p) => {
    if (c.type === ComponentType.Label) {
      maxLen(tree, [...p, 'label'], c.label, 45);
      maxLen(tree, [...p, 'description'], c.description, 100);
    }
    if (c.type === ComponentType.TextInput) {
      maxLen(tree, [...p, 'label'], c.label, 45);
      maxLen(tree, [...p, 'value'], c.value, 4000);
      maxLen(tree, [...p, 'placeholder'], c.placeholder, 100);
      for (const f of ['min_length', 'max_length']) {
        if (typeof c[f] === 'number' && (c[f] as number) > 4000) tree.add([...p, f], 'NUMBER_TYPE_MAX', 'Must be 4000 or less.');
      }
    }
  });
  return tree;
}

export function checkAutocompleteLimits(data: unknown): ErrorTree {
  const tree = new ErrorTree();
  const choices = arr(obj(data).choices).map(obj);
  if (choices.length > 25) tree.add(['data', 'choices'], 'BASE_TYPE_BAD_LENGTH', 'Must be 25 or fewer in length.');
  for (const [i, c] of choices.entries()) {
    if (str(c.name).length < 1 || str(c.name).length > 100) tree.add(['data', 'choices', i, 'name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
    maxLen(tree, ['data', 'choices', i, 'value'], c.value, 100);
  }
  return tree;
}

/** Bulk command registration: per-type counts and unique names. */
export function checkCommandLimits(commands: unknown[]): ErrorTree {
  const tree = new ErrorTree();
  const caps: Record<number, number> = { 1: 100, 2: 15, 3: 15 };
  const counts = new Map<number, number>();
  const names = new Set<string>();
  for (const [i, raw] of commands.entries()) {
    const c = obj(raw);
    const type = typeof c.type === 'number' ? c.type : 1;
    counts.set(type, (counts.get(type) ?? 0) + 1);
    const key = `${type}:${str(c.name)}`;
    if (names.has(key)) tree.add([i, 'name'], 'APPLICATION_COMMANDS_DUPLICATE_NAME', `Application command names must be unique`);
    names.add(key);
  }
  for (const [type, n] of counts) {
    if (n > (caps[type] ?? 100)) tree.add([], 'APPLICATION_COMMANDS_TOO_MANY', `Too many commands of type ${type} (${n} > ${caps[type]})`);
  }
  return tree;
}
