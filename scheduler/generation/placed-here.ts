/** How many ended generations are remembered (the ones whose own jobs may still be fetched after them). */
const endedKept = 10_000;

/**
 * The generations a job of THIS process placed and is running, or ran to its end: their own jobs,
 * fetched meanwhile, know without reading the row that there is nothing for them to do (not
 * waiting, nothing to cancel, placed by a live job, so not to take over). At every turn of a busy
 * line a generation is run by whichever job gets its slot, and its own job, fetched after, read the
 * row only to learn that: one statement per generation. Unknown here (another process placed it, or
 * its run ended with it sent back to the line), the row is read as before.
 */
export class PlacedHere {
  readonly #running = new Map<string, number>();
  readonly #ended = new Set<string>();

  /** Runs `run` for generation `id`, just claimed or resumed by a job of this process. */
  async run<R extends 'done' | 'requeued'>(id: string, run: () => Promise<R>): Promise<R> {
    this.#running.set(id, (this.#running.get(id) ?? 0) + 1);
    try {
      const result = await run();
      if (result === 'done') this.#endedHere(id);
      return result;
    } finally {
      const left = this.#running.get(id)! - 1;
      if (left === 0) this.#running.delete(id);
      else this.#running.set(id, left);
    }
  }

  /** 'running': a job of this process runs it now; 'ended': one ran it to its end; undefined: not known here. */
  state(id: string): 'running' | 'ended' | undefined {
    if (this.#running.has(id)) return 'running';
    return this.#ended.has(id) ? 'ended' : undefined;
  }

  #endedHere(id: string): void {
    this.#ended.add(id);
    if (this.#ended.size > endedKept) this.#ended.delete(this.#ended.values().next().value!);
  }
}
