import { api, ApiError, describeError, onUnauthorized, token } from './api.js';
import { generationsView } from './generations.js';
import { instancesView } from './instances.js';
import { modelsView } from './models.js';

const $ = (id) => document.getElementById(id);
const message = $('message');
const views = ['models', 'instances', 'generations'];

function notify(text, kind = 'info') {
  message.textContent = text;
  message.className = kind;
  message.hidden = false;
}

/** Runs one user action: its error (or its returned sentence) goes to the message line; resolves to whether it worked. */
async function run(action) {
  try {
    const done = await action();
    if (typeof done === 'string') notify(done);
    return true;
  } catch (err) {
    if (!(err instanceof ApiError && err.reported)) notify(describeError(err), 'error');
    return false;
  }
}

const context = { notify, run };
const screens = {
  models: modelsView($('models'), context),
  instances: instancesView($('instances'), context),
  generations: generationsView($('generations'), context),
};

function showView(name) {
  const current = views.includes(name) ? name : 'models';
  for (const view of views) $(view).hidden = view !== current;
  message.hidden = true;
  for (const button of document.querySelectorAll('#tabs button')) {
    if (button.dataset.view === current) button.setAttribute('aria-current', 'page');
    else button.removeAttribute('aria-current');
  }
  screens[current].show();
}

function signedIn(isIn) {
  $('login').hidden = isIn;
  $('tabs').hidden = !isIn;
  $('sign-out').hidden = !isIn;
  if (isIn) showView(location.hash.slice(1));
  else for (const view of views) $(view).hidden = true;
}

onUnauthorized(() => {
  token.clear();
  signedIn(false);
  notify('The admin API no longer accepts the stored token: enter it again.', 'error');
});

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const entered = $('token').value.trim();
  try {
    // Any protected route tells whether the token is right; this one is cheap.
    await api('/api/v1/instances', { tokenValue: entered });
  } catch (err) {
    const refused = err instanceof ApiError && err.status === 401;
    notify(refused ? 'Wrong token: the admin API refused it (401). Use the ADMIN_TOKEN the admin API was started with.' : describeError(err), 'error');
    return;
  }
  token.set(entered);
  $('token').value = '';
  message.hidden = true;
  signedIn(true);
});

$('sign-out').addEventListener('click', () => {
  token.clear();
  signedIn(false);
  notify('Token forgotten for this tab.');
});

for (const button of document.querySelectorAll('#tabs button')) {
  button.addEventListener('click', () => {
    location.hash = button.dataset.view;
  });
}
window.addEventListener('hashchange', () => {
  if (token.get()) showView(location.hash.slice(1));
});

signedIn(Boolean(token.get()));
