import { expect, test } from 'vitest';
import { stepTimer } from '#scheduler/generation/step-timer.ts';

test('seconds per step come from the first to the last step seen; other stages and a restarted sampler do not skew it', () => {
  let t = 0;
  const timer = stepTimer(() => t);
  expect(timer.secondsPerStep()).toBeNull();
  timer.onProgress({ stage: 'pending', position: 1 });
  t = 5000; // queue wait and model loading: not counted
  timer.onProgress({ stage: 'running', value: 1, max: 20 });
  expect(timer.secondsPerStep()).toBeNull();
  for (let v = 2; v <= 11; v++) {
    t += 250;
    timer.onProgress({ stage: 'running', value: v, max: 20 });
  }
  expect(timer.secondsPerStep()).toBeCloseTo(0.25);
  t += 10_000; // a second sampler starts over at step 1
  timer.onProgress({ stage: 'running', value: 1, max: 10 });
  t += 1000;
  timer.onProgress({ stage: 'running', value: 3, max: 10 });
  expect(timer.secondsPerStep()).toBeCloseTo(0.5);
  timer.onProgress({ stage: 'running', node: '9' });
  expect(timer.secondsPerStep()).toBeCloseTo(0.5);
});
