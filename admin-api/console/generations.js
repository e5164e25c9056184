import { api, imageUrl } from './api.js';
import { generationStatuses } from './constants.js';
import { clear, el, labelled, select, when } from './dom.js';

const base = '/api/v1/generations';

/** The picture for a card: the smallest WebP thumbnail of the first stored output, else that output itself. */
export function previewPath(generation) {
  const output = generation.outputs.find((o) => o.status === 'stored');
  if (!output) return null;
  const thumbs = (output.thumbnails ?? []).filter((t) => t.format === 'webp').sort((a, b) => a.size - b.size);
  const path = `/images/${encodeURIComponent(generation.id)}/${output.index}`;
  return thumbs.length ? `${path}/thumb/${thumbs[0].size}.webp` : path;
}

/** The Generations view: recent ones, newest first, with thumbnails and a status filter. */
export function generationsView(root, { run }) {
  let nextCursor = null;
  /** blob: URLs of the thumbnails on the page, released when the list is redrawn. */
  let objectUrls = [];
  const status = select('status', [['', 'any status'], ...generationStatuses.map((s) => [s, s])], '', 'Filter by status');
  const cards = el('div', { class: 'cards' });
  const more = el('button', { type: 'button', class: 'more', hidden: true, onclick: () => run(() => load(true)) }, 'Load more');
  status.addEventListener('change', () => run(() => load(false)));

  clear(root).append(
    el('h2', {}, 'Recent generations'),
    el('div', { class: 'toolbar' }, labelled('Status', status), el('button', { type: 'button', onclick: () => run(() => load(false)) }, 'Reload')),
    cards,
    more,
  );

  async function load(append) {
    const page = await api(base, { query: { status: status.value, cursor: append ? nextCursor : undefined, limit: 24 } });
    if (!append) {
      for (const url of objectUrls) URL.revokeObjectURL(url);
      objectUrls = [];
      clear(cards);
    }
    cards.append(...page.items.map(card));
    if (!append && page.items.length === 0) cards.append(el('p', { class: 'sub' }, 'No generation matches.'));
    nextCursor = page.nextCursor;
    more.hidden = nextCursor === null;
  }

  function card(g) {
    const path = previewPath(g);
    const picture = path ? el('img', { alt: `Image of generation ${g.id}` }) : el('div', { class: 'no-image' }, 'no image');
    if (path) {
      imageUrl(path).then(
        (url) => {
          objectUrls.push(url);
          picture.src = url;
        },
        (err) => picture.replaceWith(el('div', { class: 'no-image' }, err.message)),
      );
    }
    return el(
      'article',
      { class: 'card', 'data-generation-id': g.id },
      picture,
      el('div', { class: 'prompt' }, g.prompt),
      el('div', {}, el('span', { class: `status-${g.status}` }, g.status), ` · ${g.checkpoint}`),
      el('div', { class: 'sub' }, `${when(g.createdAt)} · ${g.width}×${g.height} · ${g.steps} steps${g.comfyInstanceId === null ? '' : ` · instance ${g.comfyInstanceId}`}`),
      g.errorMessage ? el('div', { class: 'error-text' }, g.errorMessage) : null,
    );
  }

  return { show: () => run(() => load(false)) };
}
