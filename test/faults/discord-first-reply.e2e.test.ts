import { afterAll, beforeAll, expect, test } from 'vitest';
import { startE2E, type E2E } from '../support/e2e.ts';
import { printOutage } from './outage-report.ts';

let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

const callback = '/interactions/{interaction_id}/{interaction_token}/callback';
const channelMessages = '/channels/{channel_id}/messages';

test('Discord fails the first reply (5xx) after the request was queued: one follow-up once Discord answers, one row', async () => {
  const player = e2e.playUser();
  // discord.js tries a request 4 times on 5xx: the reply fails for good; then the first follow-up
  // post fails too (Discord still down) and a later one lands.
  e2e.sim.injectServerError({ route: callback, count: 4, status: 502 });
  e2e.sim.injectServerError({ route: channelMessages, count: 5, status: 503 });
  const startedAt = Date.now();
  e2e.sim.sendCommand({ user: player.user, guild: e2e.guild, channel: e2e.channel, name: 'imagine', options: [{ name: 'prompt', value: 'a lighthouse in fog' }] });

  const followUps = () => e2e.sim.messages(e2e.channel.id).filter((m) => m.content?.includes(`<@${player.user.id}>`));
  await expect.poll(() => followUps().length, { timeout: 20_000 }).toBe(1);
  const followedUpAt = Date.now();
  const [message] = followUps();
  expect(message!.content).toMatch(/queued/i);
  expect(JSON.stringify(message!.embeds)).toMatch(/Queued — #1 in line/);
  const row = message!.components?.[0] as { components?: { label?: string; custom_id?: string }[] } | undefined;
  const cancel = row?.components?.[0];
  expect(cancel?.label).toBe('Cancel');

  const rows = (await e2e.db.pool.query<{ id: string; messageId: string | null }>(
    'select id, message_id as "messageId" from generation where user_id = $1', [player.user.id])).rows;
  expect(rows).toHaveLength(1);
  // The follow-up is the request's message from now on: the scheduler edits it with progress and the result.
  await expect.poll(async () => (await e2e.db.pool.query('select message_id from generation where id = $1', [rows[0]!.id])).rows[0].message_id).toBe(message!.id);

  // The Cancel button on the follow-up works.
  const pressed = await player.click(message!, cancel!.custom_id!);
  expect(pressed.response.type).toBeGreaterThan(0);
  await expect.poll(async () => (await e2e.db.pool.query('select status from generation where id = $1', [rows[0]!.id])).rows[0].status).toBe('cancelled');
  await new Promise((r) => setTimeout(r, 300));
  expect(followUps()).toHaveLength(1);

  const failed = e2e.sim.requests.filter((r) => r.status >= 500);
  printOutage('Discord 5xx on the first /imagine reply', {
    submitted: 1,
    settled: 1,
    lost: 0,
    duplicated: rows.length - 1,
    'Discord 5xx answers': failed.length,
    'follow-ups': followUps().length,
    'time to recover (command → follow-up)': `${followedUpAt - startedAt} ms`,
  });
});
