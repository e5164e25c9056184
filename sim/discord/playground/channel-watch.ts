import { MessageFlag, toApiMessage } from '../messages.ts';
import type { RequestLog } from '../rest/recorder.ts';
import type { SimState } from '../state.ts';
import type { SimMessage } from '../types.ts';
import type { APIMessage } from 'discord-api-types/v10';

export type ChannelEvent = { kind: 'message'; message: APIMessage } | { kind: 'delete'; id: string };

/** Whether `memberId` sees the message: ephemeral ones only by the member whose interaction made them. */
export function visibleTo(message: SimMessage | APIMessage, memberId: string): boolean {
  if (!((message.flags ?? 0) & MessageFlag.Ephemeral)) return true;
  return message.interaction_metadata?.user.id === memberId;
}

/**
 * Turns the stand-in's state into a stream of channel events: after every REST call it compares each message's
 * revision count and deleted flag with what it saw before, so creates, edits and deletes all show up.
 */
export class ChannelWatch {
  readonly #state: SimState;
  readonly #channelId: string;
  readonly #seen = new Map<string, string>();
  readonly #listeners = new Set<(event: ChannelEvent) => void>();
  readonly #unsubscribe: () => void;

  constructor(state: SimState, log: RequestLog, channelId: string) {
    this.#state = state;
    this.#channelId = channelId;
    this.#unsubscribe = log.onRecord(() => this.check());
  }

  /** Messages in the channel now, oldest first, deleted ones left out. */
  current(): APIMessage[] {
    return this.#state.channelMessages(this.#channelId).map(toApiMessage);
  }

  /** A subscriber starts from `current()`; until the first one, nothing is compared (tests with busy channels pay nothing). */
  subscribe(listener: (event: ChannelEvent) => void): () => void {
    if (!this.#listeners.size) this.#remember();
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  check(): void {
    if (!this.#listeners.size) return;
    for (const message of this.#all()) {
      const now = revision(message);
      if (this.#seen.get(message.id) === now) continue;
      this.#seen.set(message.id, now);
      const event: ChannelEvent = message.deleted ? { kind: 'delete', id: message.id } : { kind: 'message', message: toApiMessage(message) };
      for (const listener of this.#listeners) listener(event);
    }
  }

  close(): void {
    this.#unsubscribe();
    this.#listeners.clear();
  }

  #remember(): void {
    this.#seen.clear();
    for (const message of this.#all()) this.#seen.set(message.id, revision(message));
  }

  #all(): SimMessage[] {
    return (this.#state.channelMessageIds.get(this.#channelId) ?? []).map((id) => this.#state.messages.get(id)).filter((m) => m !== undefined);
  }
}

function revision(message: SimMessage): string {
  return `${message.edits.length}:${message.deleted ? 'deleted' : 'live'}`;
}
