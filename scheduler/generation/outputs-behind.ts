/**
 * The outputs of a prompt that finished on ComfyUI, stored while the job already places and runs
 * the next one (the finished prompt gave up its slot, see markPromptFinished): the GPU does not wait
 * for our download, storage write and settle. At most one store is behind at a time; a job ends
 * only once it is done (`drain`), and a store that failed fails the job after that, so pg-boss's
 * retry resumes the generation from its stored prompt id like any crash.
 */
export class OutputsBehind {
  #pending: Promise<void> | undefined;
  #failed: { err: unknown } | undefined;

  /** Waits for the store still behind, if any, then starts `store` behind. */
  async add(store: () => Promise<void>): Promise<void> {
    await this.drain();
    this.#pending = store().then(
      () => undefined,
      (err: unknown) => {
        this.#failed ??= { err };
      },
    );
  }

  /** Resolves once no store is behind (never rejects: see throwIfFailed). */
  async drain(): Promise<void> {
    await this.#pending;
    this.#pending = undefined;
  }

  /** Rethrows the first error of a store that ran behind. */
  throwIfFailed(): void {
    if (this.#failed) throw this.#failed.err;
  }
}
