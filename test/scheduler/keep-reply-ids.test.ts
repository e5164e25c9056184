import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { startBoss } from '#shared/queue/boss.ts';
import type { GenerateContext } from '#scheduler/context.ts';
import { keepReplyIdsJob } from '#scheduler/jobs/keep-reply-ids.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { registerImagine } from '../../bench/lib/deferred-imagine.ts';
import { createSchedulerContext, jobHelpers } from '../support/scheduler-context.ts';
import { newGeneration } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
let boss: PgBoss;
let discord: DiscordSim;
let ctx: GenerateContext;
let repo: GenerationRepository;

beforeAll(async () => {
  tdb = await createTestDatabase();
  boss = await startBoss(tdb.url, { supervise: false });
  discord = await startDiscordSim();
  await registerImagine(discord);
  ctx = await createSchedulerContext({ tdb, boss, discord });
  repo = new GenerationRepository(asDb(tdb.pool));
});
afterAll(async () => {
  await boss.stop({ graceful: false });
  await discord.close();
  await tdb.drop();
});

/** An /imagine answered at once, as the bot answers it: a reply that does not ask for its message (204). */
async function repliedRequest(opts: { expiresInSeconds: number; delivered?: boolean; messageId?: string }) {
  const sent = discord.sendCommand({ user: discord.defaultUser!, guild: discord.defaultGuild!, name: 'imagine', options: [{ name: 'prompt', type: 3, value: 'a fox' }] });
  const res = await fetch(`${discord.apiBase}/v10/interactions/${sent.id}/${sent.token}/callback`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 4, data: { content: 'Queued' } }),
  });
  expect(res.status).toBe(204);
  const g = await repo.create(newGeneration(discord, {
    interactionId: sent.id, interactionToken: sent.token, interactionTokenExpiresAt: new Date(Date.now() + opts.expiresInSeconds * 1000),
  }));
  if (opts.delivered) await tdb.pool.query('update generation set delivered_at = now() where id = $1', [g.id]);
  if (opts.messageId) await tdb.pool.query('update generation set message_id = $2 where id = $1', [g.id, opts.messageId]);
  return { id: g.id, sent };
}

const messageIdOf = async (id: string) => (await repo.get(id)).messageId;
const asked = (token: string) => discord.requests.filter((r) => r.method === 'GET' && r.path.includes(`/${token}/messages/@original`));

test("the message ids of undelivered replies whose token expires within minutes are asked for and stored; no other reply's", async () => {
  const soon = await repliedRequest({ expiresInSeconds: 180 });
  const alsoSoon = await repliedRequest({ expiresInSeconds: 240 });
  const later = await repliedRequest({ expiresInSeconds: 600 });
  const delivered = await repliedRequest({ expiresInSeconds: 180, delivered: true });
  // Too close to the end to use the token safely (delivery stops using it 30 s before).
  const tooLate = await repliedRequest({ expiresInSeconds: 20 });
  const known = await repliedRequest({ expiresInSeconds: 180, messageId: '123456789012345678' });
  const deleted = await repliedRequest({ expiresInSeconds: 200 });
  const gone = await fetch(`${discord.apiBase}/v10/webhooks/${discord.applicationId}/${deleted.sent.token}/messages/@original`, { method: 'DELETE' });
  expect(gone.status).toBe(204);

  await keepReplyIdsJob.handle(ctx, {}, jobHelpers());

  expect(await messageIdOf(soon.id)).toBe(soon.sent.original()!.id);
  expect(await messageIdOf(alsoSoon.id)).toBe(alsoSoon.sent.original()!.id);
  for (const { id } of [later, delivered, tooLate]) expect(await messageIdOf(id)).toBeNull();
  expect(await messageIdOf(known.id)).toBe('123456789012345678');
  // A reply deleted meanwhile has no message to edit: asked once, nothing stored, the run goes on.
  expect(await messageIdOf(deleted.id)).toBeNull();
  expect(asked(deleted.sent.token)).toHaveLength(1);
  for (const { sent } of [later, delivered, tooLate, known]) expect(asked(sent.token)).toEqual([]);
  expect(discord.violations.filter((v) => v.status !== 404)).toEqual([]);

  // The next minute's run asks only for what is still unknown (the deleted reply again).
  await keepReplyIdsJob.handle(ctx, {}, jobHelpers());
  expect(asked(soon.sent.token)).toHaveLength(1);
  expect(asked(deleted.sent.token)).toHaveLength(2);
});
