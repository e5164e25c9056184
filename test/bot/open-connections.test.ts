import { afterAll, beforeAll, expect, test } from 'vitest';
import { startE2E, type E2E } from '../support/e2e.ts';

let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

test('the bot has every connection of its pool open once it has started, before any interaction', async () => {
  const { pool } = e2e.db;
  expect(pool.totalCount).toBe(pool.options.max);
  // The first /imagine then finds an idle connection.
  expect(pool.idleCount).toBe(pool.options.max);
  const { response } = await e2e.playUser().imagine({ prompt: 'right after start' });
  expect(response.type).toBe(4);
  expect(e2e.sim.violations).toEqual([]);
});
