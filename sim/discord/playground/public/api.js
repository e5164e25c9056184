// The stand-in's playground routes, as the page uses them.

export async function getSession() {
  const res = await fetch('api/session');
  if (!res.ok) throw new Error(`session: HTTP ${res.status}`);
  return res.json();
}

/** Sends an interaction as a member; resolves to `{ response }` (null when the bot did not answer in time) or `{ error }`. */
export async function sendInteraction(body) {
  const res = await fetch('api/interactions', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) return { error: json.message ?? `HTTP ${res.status}` };
  return json;
}

/** Channel events for one member: snapshot, then message (created or edited) and delete. */
export function openEvents(memberId, handlers) {
  const source = new EventSource(`api/events?member=${encodeURIComponent(memberId)}`);
  source.addEventListener('snapshot', (e) => handlers.snapshot(JSON.parse(e.data)));
  source.addEventListener('message', (e) => handlers.message(JSON.parse(e.data)));
  source.addEventListener('delete', (e) => handlers.remove(JSON.parse(e.data).id));
  source.addEventListener('open', () => handlers.connected?.(true));
  source.addEventListener('error', () => handlers.connected?.(false));
  return source;
}
