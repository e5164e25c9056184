import type { ComfyEventStream } from './event-stream.ts';
import { promptIdOf, type ComfyEvent } from './events.ts';

/** An event and the stream's connection generation it arrived on. */
export type EventListener = (event: ComfyEvent, generation: number) => void;

/**
 * The events of one prompt from before it is submitted, so that whoever follows it afterwards sees
 * every event of a prompt that started (or even finished) before they subscribed. Subscribe before
 * `POST /prompt` (the prompt id is ours to choose), pass it to followPrompt (`recorded`), and
 * `stop()` it if the submission fails.
 */
export class PromptEventsRecording {
  readonly #buffer: { event: ComfyEvent; generation: number }[] = [];
  readonly #stream: ComfyEventStream;
  /** The connection generation when recording began, if connected then. */
  readonly #since: number | undefined;
  #listener: EventListener | undefined;
  #off: (() => void) | undefined;

  constructor(stream: ComfyEventStream, promptId: string) {
    this.#stream = stream;
    this.#since = stream.connected ? stream.generation : undefined;
    this.#off = stream.subscribe((event) => {
      if (this.#listener) this.#listener(event, stream.generation);
      else if (promptIdOf(event) === promptId) this.#buffer.push({ event, generation: stream.generation });
    });
  }

  /** Replays what was recorded to `listener`, then passes it every event as it comes (until `stop`). */
  attach(listener: EventListener): void {
    this.#listener = listener;
    const recorded = this.#buffer.splice(0);
    for (const { event, generation } of recorded) {
      if (!this.#off) break;
      listener(event, generation);
    }
  }

  /** Connected on one and the same socket from the start of the recording until now: no event was missed. */
  get unbroken(): boolean {
    return this.#since !== undefined && this.#stream.connected && this.#stream.generation === this.#since;
  }

  stop(): void {
    this.#off?.();
    this.#off = undefined;
    this.#buffer.length = 0;
  }
}

/** Starts recording the events of `promptId` (see PromptEventsRecording). */
export function recordPromptEvents(stream: ComfyEventStream, promptId: string): PromptEventsRecording {
  return new PromptEventsRecording(stream, promptId);
}
