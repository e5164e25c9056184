// The message box: `/command option:value …` with the command list, option hints, static choices and the bot's
// autocomplete answers shown above it, as Discord's client does.
import { matchingCommands, parseCommandLine, replaceFocusedValue } from './command-line.js';

const AUTOCOMPLETE_DELAY_MS = 150;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/**
 * `input`: the text box; `popup`: list of suggestions; `hint`: option help / problems.
 * `deps.commands()` → registered commands, `deps.autocomplete(name, options, focused)` → choices, `deps.submit(name, options)`.
 */
export function createComposer({ input, popup, hint }, deps) {
  let timer;
  let asked = 0;

  function showChoices(choices, pick) {
    popup.replaceChildren();
    popup.hidden = choices.length === 0;
    for (const choice of choices) {
      const item = popup.appendChild(el('button', 'suggestion'));
      item.type = 'button';
      item.append(el('span', 'suggestion-name', choice.name));
      if (choice.description) item.append(el('span', 'suggestion-description', choice.description));
      item.addEventListener('click', () => {
        pick(choice);
        input.focus();
        refresh();
      });
    }
  }

  function showHint(parsed) {
    hint.replaceChildren();
    hint.classList.toggle('problem', Boolean(parsed?.error));
    if (!parsed?.command) {
      if (parsed?.error && input.value.length > 1) hint.append(el('span', '', parsed.error));
      return;
    }
    if (parsed.error) return void hint.append(el('span', '', parsed.error));
    for (const def of parsed.defs ?? []) {
      const used = parsed.used.includes(def.name);
      const chip = hint.appendChild(el('span', used ? 'chip used' : 'chip', `${def.name}${def.required ? '*' : ''}`));
      chip.title = def.description;
    }
  }

  function refresh() {
    clearTimeout(timer);
    const text = input.value;
    const commands = deps.commands();
    const names = matchingCommands(text, commands);
    if (names.length) {
      showHint(undefined);
      return showChoices(names.map((c) => ({ name: `/${c.name}`, description: c.description, value: c.name })), (c) => (input.value = `/${c.value} `));
    }
    const parsed = text.startsWith('/') ? parseCommandLine(text, commands) : undefined;
    showHint(parsed);
    const focused = parsed?.focused;
    if (!focused) return showChoices([], () => {});
    const pick = (c) => (input.value = replaceFocusedValue(input.value, focused, String(c.value)));
    if (focused.choices.length) {
      const typed = focused.value.toLowerCase();
      return showChoices(focused.choices.filter((c) => c.name.toLowerCase().includes(typed)), pick);
    }
    if (!focused.autocomplete) return showChoices([], () => {});
    const ticket = ++asked;
    timer = setTimeout(async () => {
      const choices = await deps.autocomplete(parsed.command.name, parsed.autocompleteOptions, focused.name);
      if (ticket === asked) showChoices(choices, pick);
    }, AUTOCOMPLETE_DELAY_MS);
  }

  input.addEventListener('input', refresh);
  input.addEventListener('focus', refresh);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') showChoices([], () => {});
    const first = popup.hidden ? null : popup.querySelector('.suggestion');
    if (e.key === 'Tab' && first) {
      e.preventDefault();
      first.click();
      return;
    }
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const parsed = parseCommandLine(input.value.trim(), deps.commands());
    if (parsed.error || parsed.missing?.length) {
      hint.replaceChildren(el('span', '', parsed.error ?? `missing: ${parsed.missing.join(', ')}`));
      hint.classList.add('problem');
      return;
    }
    asked += 1;
    clearTimeout(timer);
    showChoices([], () => {});
    input.value = '';
    showHint(undefined);
    deps.submit(parsed.command.name, parsed.options);
  });
}
