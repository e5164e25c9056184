import { api } from './api.js';
import { clear, el, when } from './dom.js';

const base = '/api/v1/instances';

/** The Instances view: health, last error, queue depth, speed, and Drain / Enable / Disable. */
export function instancesView(root, { run }) {
  const rows = el('tbody');
  clear(root).append(
    el('h2', {}, 'Instances'),
    el('div', { class: 'toolbar' }, el('button', { type: 'button', onclick: () => run(load) }, 'Reload')),
    el('table', {}, el('thead', {}, el('tr', {}, ['Instance', 'State', 'Health', 'Last error', 'Queue', 's/step', 'Models', 'Last seen', ''].map((h) => el('th', {}, h)))), rows),
  );

  async function load() {
    const { items } = await api(base);
    clear(rows).append(...items.map(instanceRow));
    if (items.length === 0) rows.append(el('tr', {}, el('td', { colspan: 9, class: 'sub' }, 'No instance yet: add one with POST /api/v1/instances (see /docs).')));
  }

  function instanceRow(instance) {
    const row = el('tr', { 'data-instance-id': instance.id });
    const act = (action, label) =>
      el('button', {
        type: 'button',
        disabled: instance.state === (action === 'drain' ? 'draining' : `${action}d`),
        onclick: () =>
          run(async () => {
            const updated = await api(`${base}/${instance.id}/${action}`, { method: 'POST' });
            row.replaceWith(instanceRow(updated));
            return `${updated.name} is now ${updated.state}.`;
          }),
      }, label);
    row.append(
      el('td', {}, el('strong', {}, instance.name), el('div', { class: 'sub' }, instance.baseUrl)),
      el('td', { class: `state state-${instance.state}` }, instance.state),
      el('td', { class: `health-${instance.health}` }, instance.health),
      el('td', { class: 'error-text' }, instance.lastError ?? ''),
      el('td', { class: 'queue' }, `${instance.queueDepth} / ${instance.maxQueueDepth}`),
      el('td', {}, instance.avgSecondsPerStep === null ? '–' : instance.avgSecondsPerStep.toFixed(2)),
      el('td', { title: instance.models.map((m) => `${m.kind} ${m.fileName}`).join('\n') }, String(instance.models.length)),
      el('td', {}, when(instance.lastSeenAt)),
      el('td', {}, el('div', { class: 'actions' }, act('drain', 'Drain'), act('enable', 'Enable'), act('disable', 'Disable'))),
    );
    return row;
  }

  return { show: () => run(load) };
}
