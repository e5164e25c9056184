import { afterAll, beforeAll, expect, test } from 'vitest';
import { MessageFlags } from 'discord-api-types/v10';
import { startE2E, type E2E } from '../support/e2e.ts';

let e2e: E2E;

beforeAll(async () => {
  // deferAfterMs 0: every /imagine defers first, as it would when Postgres is slow.
  e2e = await startE2E({ deferAfterMs: 0 });
});
afterAll(async () => {
  await e2e?.stop();
});

type Body = { flags?: number; embeds?: { title?: string; description?: string }[] };

test('a slow /imagine is deferred, then the Queued embed replaces the loading message', async () => {
  const player = e2e.playUser();
  const { response, ix } = await player.imagine({ prompt: 'slow but sure' });
  expect(response.type).toBe(5);
  await expect.poll(() => ix.original()?.embeds[0]?.title, { timeout: 5_000 }).toBe('Queued — #1 in line');
  const { rows } = await e2e.db.pool.query('select message_id from generation where user_id = $1', [player.user.id]);
  expect(rows).toHaveLength(1);
  await expect.poll(async () => (await e2e.db.pool.query('select message_id from generation where user_id = $1', [player.user.id])).rows[0].message_id).toBe(ix.original()?.id);
  expect(e2e.sim.violations).toEqual([]);
});

test('an error after a public defer removes the loading message and answers ephemerally', async () => {
  const player = e2e.playUser();
  const { ix, response } = await player.imagine({ prompt: 'x', model: 'missing.safetensors' });
  expect(response.type).toBe(5);
  // Asserted on the wire: the sim files a follow-up sent right after a defer as an edit of the loading message.
  const followUp = await e2e.sim.waitForRequest((r) => r.method === 'POST' && r.route === '/webhooks/{webhook_id}/{webhook_token}' && r.path.endsWith(ix.token), 5_000);
  expect(followUp.status).toBe(200);
  const sent = followUp.body as Body;
  expect((sent.flags ?? 0) & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
  expect(sent.embeds?.[0]?.description).toMatch(/no checkpoint called "missing.safetensors"/);
  const deleted = e2e.sim.requests.find((r) => r.method === 'DELETE' && r.path.endsWith(`${ix.token}/messages/@original`));
  expect(deleted?.status).toBe(204);
  expect(deleted!.at).toBeLessThanOrEqual(followUp.at);
  const { rows } = await e2e.db.pool.query('select 1 from generation where user_id = $1', [player.user.id]);
  expect(rows).toHaveLength(0);
  expect(e2e.sim.violations).toEqual([]);
});
