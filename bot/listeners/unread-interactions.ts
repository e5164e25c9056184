import { Events, type Client } from 'discord.js';

export type UnreadOutcome = { kind: 'threw'; error: unknown } | { kind: 'dropped' };

interface InteractionCreateAction {
  handle(data: unknown): unknown;
}

/**
 * discord.js builds each Interaction inside its gateway message handler. A payload it cannot read
 * (no `data`, no member or user, options that are not a list) throws there and surfaces only as an
 * unhandled rejection, with nothing to tell which interaction it was; one it does not know (a new
 * interaction type) it drops with a debug line. Its InteractionCreate action is the one place that
 * sees the payload together with the throw, so it is wrapped: `onUnread` gets the raw payload and
 * what happened, and can log it and still answer the member. discord.js does not type this internal;
 * returns false (and wraps nothing) if it is not there.
 */
export function watchUnreadInteractions(client: Client, onUnread: (payload: unknown, outcome: UnreadOutcome) => void): boolean {
  const action = (client as unknown as { actions?: { InteractionCreate?: InteractionCreateAction } }).actions?.InteractionCreate;
  if (!action || typeof action.handle !== 'function') return false;
  const original = action.handle.bind(action);
  action.handle = (data: unknown) => {
    let delivered = false;
    const mark = () => {
      delivered = true;
    };
    client.once(Events.InteractionCreate, mark);
    try {
      original(data);
    } catch (error) {
      onUnread(data, { kind: 'threw', error });
      return undefined;
    } finally {
      client.off(Events.InteractionCreate, mark);
    }
    if (!delivered) onUnread(data, { kind: 'dropped' });
    return undefined;
  };
  return true;
}
