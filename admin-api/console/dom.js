// Builds elements from data without ever parsing it as HTML: text becomes text nodes, attributes are set one by one.

/**
 * `el('td', { class: 'sub' }, 'text', child)`. Keys starting with `on` add listeners; boolean values
 * set properties (checked, disabled, hidden); anything else becomes an attribute.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (typeof value === 'boolean') node[key] = value;
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

export function labelled(text, control) {
  return el('label', {}, text, control);
}

export function select(name, options, value, ariaLabel) {
  return el('select', { name, 'aria-label': ariaLabel }, options.map(([v, text]) => el('option', { value: v, selected: v === value }, text)));
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '–';
}
