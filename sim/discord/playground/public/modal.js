// A modal the bot showed (callback type 9), as a <dialog>: Label (18) or legacy action-row (1) layouts,
// text inputs (4) and string selects (3). Resolves with { custom_id: value } or null when dismissed.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function field(input, label, description) {
  const box = el('label', 'modal-field');
  box.append(el('span', 'modal-label', label ?? input.label ?? input.custom_id));
  if (description) box.append(el('span', 'modal-description', description));
  if (input.type === 3) {
    const select = box.appendChild(el('select', 'select'));
    select.name = input.custom_id;
    for (const o of input.options ?? []) {
      const option = select.appendChild(el('option', '', o.label));
      option.value = o.value;
      option.selected = Boolean(o.default);
    }
    return box;
  }
  const control = box.appendChild(el(input.style === 2 ? 'textarea' : 'input', 'text-input'));
  control.name = input.custom_id;
  control.value = input.value ?? '';
  control.placeholder = input.placeholder ?? '';
  control.required = input.required ?? true;
  if (input.min_length) control.minLength = input.min_length;
  if (input.max_length) control.maxLength = input.max_length;
  return box;
}

export function showModal(dialog, modal) {
  dialog.replaceChildren();
  const form = dialog.appendChild(el('form', 'modal'));
  form.method = 'dialog';
  form.append(el('h2', 'modal-title', modal.title));
  for (const c of modal.components ?? []) {
    if (c.type === 18 && c.component) form.append(field(c.component, c.label, c.description));
    else if (c.type === 1) for (const input of c.components ?? []) form.append(field(input));
    else if (c.type === 10) form.append(el('p', 'modal-text', c.content));
  }
  const actions = form.appendChild(el('div', 'modal-actions'));
  const cancel = actions.appendChild(el('button', 'button secondary', 'Cancel'));
  cancel.type = 'button';
  const submit = actions.appendChild(el('button', 'button primary', 'Submit'));
  submit.type = 'submit';
  return new Promise((resolve) => {
    cancel.addEventListener('click', () => dialog.close(''));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const values = {};
      for (const control of form.querySelectorAll('[name]')) values[control.name] = control.value;
      dialog.close('submitted');
      resolve(values);
    });
    dialog.addEventListener('close', () => resolve(null), { once: true });
    dialog.showModal();
  });
}
