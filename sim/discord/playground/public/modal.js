// A modal the bot showed (callback type 9), as a <dialog>: Label (18) or legacy action-row (1) layouts,
// text inputs (4), string selects (3) and file uploads (19). Resolves with { fields: { custom_id: value },
// files: { custom_id: { filename, contentType, base64 } } } or null when dismissed.

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
  if (input.type === 19) {
    const picker = box.appendChild(el('input', 'file-input'));
    picker.type = 'file';
    picker.dataset.upload = input.custom_id;
    picker.required = input.required ?? true;
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

async function toBase64(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return window.btoa(binary);
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
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const fields = {};
      for (const control of form.querySelectorAll('[name]')) fields[control.name] = control.value;
      const files = {};
      for (const picker of form.querySelectorAll('[data-upload]')) {
        const file = picker.files?.[0];
        if (file) files[picker.dataset.upload] = { filename: file.name, contentType: file.type || undefined, base64: await toBase64(file) };
      }
      dialog.close('submitted');
      resolve({ fields, files });
    });
    dialog.addEventListener('close', () => resolve(null), { once: true });
    dialog.showModal();
  });
}
