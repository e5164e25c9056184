/**
 * One AbortSignal for one HTTP call: aborted by a TimeoutError after `ms`, or with the caller's own
 * reason. Cheaper than `AbortSignal.any([caller, AbortSignal.timeout(ms)])`, and `end()` drops the
 * timer and the caller listener as soon as the call is over (a download's timer would otherwise
 * stay armed for its whole limit).
 */
export class Deadline {
  readonly #controller = new AbortController();
  readonly #caller: AbortSignal | undefined;
  readonly #timer: NodeJS.Timeout;
  readonly #onCallerAbort = (): void => this.#controller.abort(this.#caller?.reason);

  constructor(ms: number, caller?: AbortSignal) {
    this.#caller = caller;
    // Same reason as AbortSignal.timeout's, so callers test `name === 'TimeoutError'` either way.
    this.#timer = setTimeout(() => this.#controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
    this.#timer.unref();
    if (caller?.aborted) this.#controller.abort(caller.reason);
    else caller?.addEventListener('abort', this.#onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  end(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener('abort', this.#onCallerAbort);
  }
}
