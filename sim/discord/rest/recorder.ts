import type { RecordedRequest, Violation } from '../types.ts';

/** Every REST request and every rejection, for assertions; plus waiters for requests still to come. */
export class RequestLog {
  readonly requests: RecordedRequest[] = [];
  readonly violations: Violation[] = [];
  readonly #waiters = new Set<{ pred: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }>();
  readonly #listeners = new Set<(r: RecordedRequest) => void>();

  /** Calls `listener` after every request from now on (the state change it made is already applied); returns an unsubscribe. */
  onRecord(listener: (r: RecordedRequest) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  record(request: RecordedRequest, violation?: Violation): void {
    this.requests.push(request);
    if (violation) this.violations.push(violation);
    for (const w of this.#waiters) {
      if (w.pred(request)) {
        this.#waiters.delete(w);
        w.resolve(request);
      }
    }
    for (const listener of this.#listeners) listener(request);
  }

  /** Resolves with the first recorded request (past or future) that matches. */
  waitFor(pred: (r: RecordedRequest) => boolean, timeoutMs = 5_000): Promise<RecordedRequest> {
    const past = this.requests.find(pred);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const waiter = {
        pred,
        resolve: (r: RecordedRequest) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`waitForRequest: no matching request within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }
}
