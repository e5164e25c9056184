import { describe, expect, test } from 'vitest';
import { OutputsBehind } from '#scheduler/generation/outputs-behind.ts';

/** A store that runs until the test ends it, recording when it started. */
function heldStore(log: string[], name: string) {
  let end!: (err?: Error) => void;
  const ended = new Promise<void>((resolve, reject) => (end = (err) => (err ? reject(err) : resolve())));
  return { store: async () => { log.push(`start ${name}`); await ended; log.push(`end ${name}`); }, end };
}

const tick = () => new Promise((r) => setTimeout(r, 10));

describe('OutputsBehind: stores run behind the job, one at a time', () => {
  test('a second store is queued at once (the job goes on to claim); a third waits until the queue has room', async () => {
    const behind = new OutputsBehind();
    const log: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((n) => heldStore(log, n));
    await behind.add(a!.store);
    expect(behind.full).toBe(false);
    await behind.add(b!.store); // returns while a still runs
    expect(behind.full).toBe(true);
    let thirdAdded = false;
    const third = behind.add(c!.store).then(() => (thirdAdded = true));
    await tick();
    expect(log).toEqual(['start a']);
    expect(thirdAdded).toBe(false);
    a!.end();
    await tick();
    expect(log).toEqual(['start a', 'end a', 'start b']);
    b!.end();
    await third;
    await tick();
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c']);
    let drained = false;
    const draining = behind.drain().then(() => (drained = true));
    await tick();
    expect(drained).toBe(false);
    c!.end();
    await draining;
  });

  test('a store that failed fails the job afterwards; the ones after it still run', async () => {
    const behind = new OutputsBehind();
    const log: string[] = [];
    const [a, b] = ['a', 'b'].map((n) => heldStore(log, n));
    await behind.add(a!.store);
    await behind.add(b!.store);
    a!.end(new Error('disk full'));
    b!.end();
    await behind.drain();
    expect(log).toEqual(['start a', 'start b', 'end b']);
    expect(() => behind.throwIfFailed()).toThrow('disk full');
  });

  test('the finished prompt handed off is taken once', () => {
    const behind = new OutputsBehind();
    behind.handOff('g', 'p');
    expect(behind.takeHandOff()).toEqual({ id: 'g', promptId: 'p' });
    expect(behind.takeHandOff()).toBeUndefined();
  });
});
