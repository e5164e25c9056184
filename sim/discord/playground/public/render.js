// Builds a Discord message as DOM nodes. Every piece of text from the bot goes in through textContent, and
// only http(s) URLs become links or images: nothing the bot or a member typed is ever parsed as HTML.

const EPHEMERAL = 64;
const LOADING = 128;
const ButtonStyle = { 1: 'primary', 2: 'secondary', 3: 'success', 4: 'danger', 5: 'link', 6: 'premium' };

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function safeUrl(url) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** `[masked](<links>)`, `**bold**`, `*italic*`, `` `code` `` and `-# small` lines, the little markdown the bot uses; the rest stays as typed. */
export function inlineMarkdown(text) {
  const box = el('span', 'md');
  for (const [i, line] of String(text).split('\n').entries()) {
    if (i > 0) box.append(document.createElement('br'));
    const small = line.startsWith('-# ');
    const target = small ? box.appendChild(el('small', 'subtext')) : box;
    for (const part of (small ? line.slice(3) : line).split(/(\[[^\]]+\]\(<?[^)\s>]+>?\)|\*\*[^*]+\*\*|`[^`]+`|\*[^*\s][^*]*\*)/)) {
      if (!part) continue;
      const link = /^\[([^\]]+)\]\(<?([^)\s>]+)>?\)$/.exec(part);
      const href = link && safeUrl(link[2]);
      if (href) target.append(Object.assign(el('a', 'md-link', link[1]), { href, target: '_blank', rel: 'noopener noreferrer' }));
      else if (part.startsWith('**') && part.endsWith('**') && part.length > 4) target.append(el('strong', '', part.slice(2, -2)));
      else if (part.startsWith('`') && part.endsWith('`') && part.length > 2) target.append(el('code', '', part.slice(1, -1)));
      else if (part.startsWith('*') && part.endsWith('*') && part.length > 2) target.append(el('em', '', part.slice(1, -1)));
      else target.append(document.createTextNode(part));
    }
  }
  return box;
}

function image(url, alt, className) {
  const src = safeUrl(url);
  if (!src) return el('span', 'broken', `[image: ${alt}]`);
  const img = el('img', className);
  img.src = src;
  img.alt = alt;
  img.loading = 'lazy';
  return img;
}

function renderEmbed(embed) {
  const box = el('div', 'embed');
  if (typeof embed.color === 'number') box.style.borderLeftColor = `#${embed.color.toString(16).padStart(6, '0')}`;
  const body = el('div', 'embed-body');
  if (embed.author?.name) body.append(el('div', 'embed-author', embed.author.name));
  if (embed.title) {
    const href = embed.url && safeUrl(embed.url);
    const title = href ? el('a', 'embed-title', embed.title) : el('div', 'embed-title', embed.title);
    if (href) Object.assign(title, { href, target: '_blank', rel: 'noopener noreferrer' });
    body.append(title);
  }
  if (embed.description) body.appendChild(el('div', 'embed-description')).append(inlineMarkdown(embed.description));
  if (embed.fields?.length) {
    const fields = body.appendChild(el('div', 'embed-fields'));
    for (const f of embed.fields) {
      const field = fields.appendChild(el('div', f.inline ? 'embed-field inline' : 'embed-field'));
      field.append(el('div', 'embed-field-name', f.name));
      field.appendChild(el('div', 'embed-field-value')).append(inlineMarkdown(f.value));
    }
  }
  if (embed.image?.url) body.append(image(embed.image.url, embed.title ?? 'embed image', 'embed-image'));
  if (embed.footer?.text || embed.timestamp) {
    const parts = [embed.footer?.text, embed.timestamp && new Date(embed.timestamp).toLocaleString()].filter(Boolean);
    body.append(el('div', 'embed-footer', parts.join(' • ')));
  }
  box.append(body);
  if (embed.thumbnail?.url) box.append(image(embed.thumbnail.url, 'thumbnail', 'embed-thumbnail'));
  return box;
}

function renderAttachment(attachment, shownInEmbeds) {
  const url = safeUrl(attachment.url);
  if (attachment.content_type?.startsWith('image/')) {
    if (shownInEmbeds.has(attachment.url)) return null; // Discord shows an embed's attachment:// image once, in the embed
    return image(attachment.url, attachment.description ?? attachment.filename, 'attachment-image');
  }
  const link = el('a', 'attachment-file', `📎 ${attachment.filename}`);
  if (url) Object.assign(link, { href: url, target: '_blank', rel: 'noopener noreferrer' });
  return link;
}

function renderButton(button, onComponent) {
  const style = ButtonStyle[button.style] ?? 'secondary';
  const label = [button.emoji?.name, button.label].filter(Boolean).join(' ');
  if (style === 'link') {
    const href = safeUrl(button.url);
    const link = el('a', 'button link', `${label} ↗`);
    if (href) Object.assign(link, { href, target: '_blank', rel: 'noopener noreferrer' });
    return link;
  }
  const node = el('button', `button ${style}`, label);
  node.type = 'button';
  node.disabled = Boolean(button.disabled);
  node.dataset.customId = button.custom_id ?? '';
  node.addEventListener('click', () => onComponent({ customId: button.custom_id }, node));
  return node;
}

function renderSelect(select, onComponent) {
  const node = el('select', 'select');
  node.disabled = Boolean(select.disabled);
  node.append(el('option', '', select.placeholder ?? 'Make a selection'));
  for (const o of select.options ?? []) {
    const option = el('option', '', [o.emoji?.name, o.label].filter(Boolean).join(' '));
    option.value = o.value;
    node.append(option);
  }
  node.addEventListener('change', () => node.value && onComponent({ customId: select.custom_id, values: [node.value] }, node));
  return node;
}

function renderComponents(components, onComponent) {
  const box = el('div', 'components');
  for (const row of components) {
    const line = box.appendChild(el('div', 'action-row'));
    for (const c of row.type === 1 ? (row.components ?? []) : [row]) {
      if (c.type === 2) line.append(renderButton(c, onComponent));
      else if (c.type === 3) line.append(renderSelect(c, onComponent));
      else if (c.type === 10) line.append(inlineMarkdown(c.content ?? ''));
    }
  }
  return box;
}

/** One message; `onComponent({customId, values}, node)` is called when the member clicks a button or picks an option. */
export function renderMessage(message, onComponent) {
  const flags = message.flags ?? 0;
  const node = el('article', flags & EPHEMERAL ? 'message ephemeral' : 'message');
  node.dataset.messageId = message.id;
  if (message.interaction_metadata?.user) node.append(el('div', 'reply-to', `↱ ${message.interaction_metadata.user.global_name ?? message.interaction_metadata.user.username} used a command`));
  const head = node.appendChild(el('header', 'message-head'));
  head.append(el('span', message.author?.bot ? 'author bot' : 'author', message.author?.global_name ?? message.author?.username ?? 'unknown'));
  if (message.author?.bot) head.append(el('span', 'badge', 'APP'));
  head.append(el('time', 'time', new Date(message.timestamp).toLocaleTimeString()));
  if (message.edited_timestamp) head.append(el('span', 'edited', '(edited)'));
  if (flags & LOADING) node.append(el('div', 'thinking', `${message.author?.username ?? 'The bot'} is thinking…`));
  if (message.content) node.appendChild(el('div', 'content')).append(inlineMarkdown(message.content));
  const embedImages = new Set((message.embeds ?? []).flatMap((e) => [e.image?.url, e.thumbnail?.url]).filter(Boolean));
  for (const embed of message.embeds ?? []) node.append(renderEmbed(embed));
  const files = (message.attachments ?? []).map((a) => renderAttachment(a, embedImages)).filter(Boolean);
  if (files.length) node.appendChild(el('div', 'attachments')).append(...files);
  if (message.components?.length) node.append(renderComponents(message.components, onComponent));
  if (flags & EPHEMERAL) node.append(el('div', 'ephemeral-note', 'Only you can see this'));
  return node;
}
