import { getSession, openEvents, sendInteraction } from './api.js';
import { createComposer } from './composer.js';
import { showModal } from './modal.js';
import { renderMessage } from './render.js';

const $ = (id) => document.getElementById(id);
const list = $('messages');
const memberPicker = $('member');
const status = $('status');
let session = await getSession();
let events;

function memberId() {
  return memberPicker.value;
}

function notice(text) {
  const node = document.createElement('div');
  node.className = 'notice';
  node.textContent = text;
  list.append(node);
  list.scrollTop = list.scrollHeight;
}

async function interact(body) {
  const result = await sendInteraction({ member: memberId(), ...body });
  if (result.error) return notice(`The stand-in refused: ${result.error}`);
  if (!result.response) return notice('The application did not respond (no answer within 3 s).');
  if (result.response.type === 9) {
    const answer = await showModal($('modal'), result.response.data);
    if (answer) await interact({ kind: 'modal', customId: result.response.data.custom_id, fields: answer.fields, files: answer.files, messageId: body.messageId });
  }
  return result.response;
}

function upsert(message) {
  const node = renderMessage(message, (component, control) => {
    control.classList.add('pressed');
    void interact({ kind: 'component', messageId: message.id, customId: component.customId, values: component.values }).finally(() => control.classList.remove('pressed'));
  });
  const existing = list.querySelector(`[data-message-id="${CSS.escape(message.id)}"]`);
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  if (existing) existing.replaceWith(node);
  else list.append(node);
  if (atBottom || !existing) list.scrollTop = list.scrollHeight;
}

function connect() {
  events?.close();
  events = openEvents(memberId(), {
    snapshot(messages) {
      list.replaceChildren();
      for (const m of messages) upsert(m);
    },
    message: upsert,
    remove(id) {
      list.querySelector(`[data-message-id="${CSS.escape(id)}"]`)?.remove();
    },
    connected(up) {
      status.textContent = up ? 'live' : 'reconnecting…';
      status.className = up ? 'status live' : 'status down';
    },
  });
}

$('guild').textContent = session.guild.name;
$('channel').textContent = `# ${session.channel.name}`;
$('composer').placeholder = `Message #${session.channel.name} — type / for commands`;
for (const m of session.members) {
  const option = document.createElement('option');
  option.value = m.id;
  option.textContent = m.moderator ? `${m.username} (moderator)` : m.username;
  memberPicker.append(option);
}
memberPicker.addEventListener('change', connect);
connect();

createComposer(
  { input: $('composer'), popup: $('suggestions'), hint: $('hint') },
  {
    commands: () => session.commands,
    async autocomplete(name, options, focused) {
      const result = await sendInteraction({ kind: 'autocomplete', member: memberId(), name, options, focused });
      return result.response?.data?.choices ?? [];
    },
    submit: (name, options) => void interact({ kind: 'command', name, options }),
  },
);
// Commands registered after the page opened (the bot registers them at start) still show up.
$('composer').addEventListener('focus', async () => {
  if (!session.commands.length) session = await getSession();
});
