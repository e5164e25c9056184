/**
 * The outputs of a prompt that finished on ComfyUI, stored while the job already places and runs
 * the next one (the finished prompt gave up its slot, see markPromptFinished): the GPU does not wait
 * for our download, storage write and settle. One store runs behind at a time, and at most one
 * more waits for its turn (so the job need not wait for a store before it claims); a job ends
 * only once it is done (`drain`), and a store that failed fails the job after that, so pg-boss's
 * retry resumes the generation from its stored prompt id like any crash.
 *
 * It also carries the finished prompt whose slot the job's next claim gives up (`handOff`): marked
 * in the claim's own transaction, the freed slot wakes no other waiter to race the job for it.
 */
export class OutputsBehind {
  // The last store added: it settles once it and every store before it are done.
  #tail: Promise<void> | undefined;
  // Stores added that have not started (their turn comes when the one before them is done).
  #waiting = 0;
  #failed: { err: unknown } | undefined;
  #handOff: { id: string; promptId: string } | undefined;

  /** A store already waits for its turn: the next `add` waits too. */
  get full(): boolean {
    return this.#waiting > 0;
  }

  /** The prompt `promptId` of generation `id` finished: the job's next claim marks it (markPromptFinished). */
  handOff(id: string, promptId: string): void {
    this.#handOff = { id, promptId };
  }

  /** The finished prompt not marked yet, if any; the caller marks it (in its claim, or on its own). */
  takeHandOff(): { id: string; promptId: string } | undefined {
    const handOff = this.#handOff;
    this.#handOff = undefined;
    return handOff;
  }

  /**
   * Starts `store` behind once the store before it (if any) is done; waits first while another
   * already waits for its turn, so one store runs at a time and at most one more is queued.
   */
  async add(store: () => Promise<void>): Promise<void> {
    while (this.#waiting > 0) await this.#tail;
    const before = this.#tail ?? Promise.resolve();
    this.#waiting++;
    this.#tail = before.then(async () => {
      this.#waiting--;
      try {
        await store();
      } catch (err) {
        this.#failed ??= { err };
      }
    });
  }

  /** Resolves once no store is behind (never rejects: see throwIfFailed). */
  async drain(): Promise<void> {
    while (this.#tail) {
      const tail = this.#tail;
      await tail;
      if (this.#tail === tail) this.#tail = undefined;
    }
  }

  /** Rethrows the first error of a store that ran behind. */
  throwIfFailed(): void {
    if (this.#failed) throw this.#failed.err;
  }
}
