import { expect, test } from 'vitest';
import { PlacedHere } from '#scheduler/generation/placed-here.ts';

test('a generation is running here while its run lasts, ended here once a run ended it, and unknown when sent back to the line or failed', async () => {
  const here = new PlacedHere();
  let finish!: (r: 'done' | 'requeued') => void;
  const running = here.run('a', () => new Promise<'done' | 'requeued'>((r) => (finish = r)));
  expect(here.state('a')).toBe('running');
  finish('done');
  await running;
  expect(here.state('a')).toBe('ended');

  await here.run('b', () => Promise.resolve('requeued' as const));
  expect(here.state('b')).toBeUndefined();
  await expect(here.run('c', () => Promise.reject(new Error('instance gone')))).rejects.toThrow('instance gone');
  expect(here.state('c')).toBeUndefined();
  expect(here.state('never')).toBeUndefined();
});
