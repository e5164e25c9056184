import { api } from './api.js';
import { modelKinds } from './constants.js';
import { append, clear, el, labelled, select } from './dom.js';

const base = '/api/v1/models';

/** Per-model defaults the API accepts in PATCH, by the kind they apply to; an empty field means "none" (null). */
const generationDefaults = [
  ['defaultWidth', 'Width', 'int'],
  ['defaultHeight', 'Height', 'int'],
  ['defaultSteps', 'Steps', 'int'],
  ['defaultCfg', 'CFG', 'number'],
  ['defaultSampler', 'Sampler', 'text'],
  ['defaultScheduler', 'Scheduler', 'text'],
];
const loraDefaults = [
  ['defaultStrengthModel', 'LoRA strength (model)', 'number'],
  ['defaultStrengthClip', 'LoRA strength (clip)', 'number'],
];

/** The Models view: filters, the list with toggles and edits, and "Refresh models". */
export function modelsView(root, { notify, run }) {
  const filters = { kind: '', enabled: '', search: '' };
  let nextCursor = null;
  const summary = el('div', { class: 'refresh-result', hidden: true, 'aria-live': 'polite' });
  const rows = el('tbody');
  const more = el('button', { type: 'button', class: 'more', hidden: true, onclick: () => run(() => load(true)) }, 'Load more');

  const kind = select('kind', [['', 'any kind'], ...modelKinds.map((k) => [k, k])], '', 'Filter by kind');
  const enabled = select('enabled', [['', 'any'], ['true', 'enabled'], ['false', 'disabled']], '', 'Filter by enabled');
  const search = el('input', { type: 'search', name: 'search', placeholder: 'name or file', 'aria-label': 'Search models' });
  const filterForm = el(
    'form',
    { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); applyFilters(); } },
    labelled('Kind', kind),
    labelled('Enabled', enabled),
    labelled('Search', search),
    el('button', { type: 'submit' }, 'Filter'),
    el('button', { type: 'button', onclick: () => run(refresh) }, 'Refresh models'),
  );
  kind.addEventListener('change', applyFilters);
  enabled.addEventListener('change', applyFilters);

  clear(root).append(
    el('h2', {}, 'Models'),
    filterForm,
    summary,
    el('table', {}, el('thead', {}, el('tr', {}, ['Model', 'Kind', 'Family', 'Enabled', 'NSFW', 'Available', ''].map((h) => el('th', {}, h)))), rows),
    more,
  );

  function applyFilters() {
    filters.kind = kind.value;
    filters.enabled = enabled.value;
    filters.search = search.value.trim();
    run(() => load(false));
  }

  async function load(append) {
    const page = await api(base, { query: { ...filters, cursor: append ? nextCursor : undefined, limit: 50 } });
    if (!append) clear(rows);
    for (const model of page.items) rows.append(...modelRows(model));
    if (!append && page.items.length === 0) rows.append(el('tr', {}, el('td', { colspan: 7, class: 'sub' }, 'No model matches these filters.')));
    nextCursor = page.nextCursor;
    more.hidden = nextCursor === null;
  }

  /** A model's row and its (folded) defaults row; both are replaced whenever the API returns the model again. */
  function modelRows(model) {
    const row = el('tr', { 'data-model-id': model.id });
    const defaultsRow = el('tr', { class: 'defaults-row', hidden: true }, el('td', { colspan: 7 }, defaultsForm(model)));
    const replaceWith = (updated) => {
      const [newRow, newDefaults] = modelRows(updated);
      newDefaults.hidden = defaultsRow.hidden;
      row.replaceWith(newRow);
      defaultsRow.replaceWith(newDefaults);
    };
    const change = (action, body) =>
      run(async () => {
        const updated = await api(`${base}/${model.id}${action}`, { method: body ? 'PATCH' : 'POST', body });
        replaceWith(updated);
        return `Saved ${updated.displayName}.`;
      });

    const name = el('td', {}, el('span', { class: 'name' }, model.displayName), el('div', { class: 'sub' }, model.fileName));
    const rename = el('button', { type: 'button', onclick: () => startRename() }, 'Rename');
    row.append(
      name,
      el('td', {}, model.kind),
      el('td', {}, model.baseFamily ?? '–'),
      el('td', {}, el('input', { type: 'checkbox', checked: model.enabled, 'aria-label': `Enabled: ${model.displayName}`, onchange: (e) => revertOnFailure(e.target, model.enabled, change(model.enabled ? '/disable' : '/enable')) })),
      el('td', {}, el('input', { type: 'checkbox', checked: model.nsfw, 'aria-label': `NSFW: ${model.displayName}`, onchange: (e) => revertOnFailure(e.target, model.nsfw, change('', { nsfw: !model.nsfw })) })),
      el('td', {}, model.available ? 'yes' : 'no'),
      el('td', {}, el('div', { class: 'actions' }, rename, el('button', { type: 'button', onclick: () => { defaultsRow.hidden = !defaultsRow.hidden; } }, 'Defaults'))),
    );

    function startRename() {
      const input = el('input', { type: 'text', value: model.displayName, 'aria-label': `Display name of ${model.fileName}`, maxlength: 200 });
      const form = el(
        'form',
        { onsubmit: (e) => { e.preventDefault(); change('', { displayName: input.value }); } },
        input,
        el('button', { type: 'submit' }, 'Save'),
        el('button', { type: 'button', onclick: () => replaceWith(model) }, 'Cancel'),
      );
      clear(name).append(form, el('div', { class: 'sub' }, model.fileName));
      input.focus();
    }

    return [row, defaultsRow];

    async function revertOnFailure(checkbox, was, saving) {
      if (!(await saving)) checkbox.checked = was;
    }

    function defaultsForm(m) {
      const fields = m.kind === 'lora' ? loraDefaults : generationDefaults;
      const inputs = fields.map(([field, label, type]) => [field, type, label, el('input', { name: field, type: type === 'text' ? 'text' : 'number', step: type === 'int' ? '1' : 'any', value: m[field] ?? '' })]);
      return el(
        'form',
        {
          onsubmit: (e) => {
            e.preventDefault();
            const patch = {};
            for (const [field, type, , input] of inputs) {
              const raw = input.value.trim();
              const value = raw === '' ? null : type === 'text' ? raw : Number(raw);
              if (value !== (m[field] ?? null)) patch[field] = value;
            }
            if (Object.keys(patch).length === 0) return notify('Nothing to save: no default changed.');
            change('', patch);
          },
        },
        el('div', { class: 'defaults' }, inputs.map(([, , label, input]) => labelled(label, input))),
        el('button', { type: 'submit' }, `Save defaults of ${m.displayName}`),
      );
    }
  }

  /** `POST /api/v1/models/refresh`: discovery on every instance now; shows what it added, updated and retired. */
  async function refresh() {
    const result = await api(`${base}/refresh`, { method: 'POST' });
    const describe = (m) => `${m.kind} ${m.fileName}`;
    const list = (title, items, text) =>
      items.length ? el('div', {}, el('strong', {}, `${title} (${items.length})`), el('ul', {}, items.map((i) => el('li', {}, text(i))))) : null;
    append(clear(summary), [
      el('strong', {}, `Refresh: ${result.added.length} added, ${result.updated.length} updated, ${result.retired.length} retired, ${result.unreachable.length} instance(s) unreachable`),
      list('Added', result.added, (m) => `${describe(m)}${m.enabled ? '' : ' (disabled)'}`),
      list('Updated', result.updated, describe),
      list('Retired', result.retired, describe),
      list('Unreachable', result.unreachable, (i) => `${i.name}: ${i.error}`),
    ]);
    summary.hidden = false;
    await load(false);
    return 'Models refreshed.';
  }

  return { show: () => run(() => load(false)) };
}
