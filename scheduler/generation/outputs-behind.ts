/**
 * The outputs of a prompt that finished on ComfyUI, stored while the job already places and runs
 * the next one (the finished prompt gave up its slot, see markPromptFinished): the GPU does not wait
 * for our download, storage write and settle. At most one store is behind at a time; a job ends
 * only once it is done (`drain`), and a store that failed fails the job after that, so pg-boss's
 * retry resumes the generation from its stored prompt id like any crash.
 *
 * It also carries the finished prompt whose slot the job's next claim gives up (`handOff`): marked
 * in the claim's own transaction, the freed slot wakes no other waiter to race the job for it.
 */
export class OutputsBehind {
  #pending: Promise<void> | undefined;
  #failed: { err: unknown } | undefined;
  #handOff: { id: string; promptId: string } | undefined;
  #storing = false;

  /** No store running behind: the next `add` starts at once. */
  get idle(): boolean {
    return !this.#storing;
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

  /** Waits for the store still behind, if any, then starts `store` behind. */
  async add(store: () => Promise<void>): Promise<void> {
    await this.drain();
    this.#storing = true;
    this.#pending = store().then(
      () => {
        this.#storing = false;
      },
      (err: unknown) => {
        this.#storing = false;
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
