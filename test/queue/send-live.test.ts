import pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBoss } from '#shared/queue/boss.ts';
import { jobUpsertByKeyInsertSql } from '#shared/queue/job-insert-sql.ts';
import { sendLiveEdit } from '#shared/queue/send-live.ts';
import { bossNotifyChannel } from '#shared/queue/wake.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

let tdb: TestDatabase;
let boss: PgBoss;
beforeAll(async () => {
  tdb = await createTestDatabase();
  boss = await startBoss(tdb.url, { supervise: false });
});
afterAll(async () => {
  await boss.stop({ graceful: false });
  await tdb.drop();
});

const liveJobs = async (id: string) =>
  (await tdb.pool.query<{ state: string; group_id: string; data: unknown; later: boolean }>(
    `select state, group_id, data, start_after > now() + interval '5 seconds' as later from pgboss.job where name = 'deliver' and singleton_key = $1 order by created_on`,
    [`live:${id}`],
  )).rows;

test("pg-boss's upsert-by-key insert can be embedded: a live edit is one statement", async () => {
  // Null would send every live edit down pg-boss's upsert (BEGIN, update, insert, COMMIT).
  expect(await jobUpsertByKeyInsertSql(boss, 'deliver')).toMatchObject({ notify: true, returnsStartAfter: true, insert: expect.stringMatching(/upsert_by_key/) });
});

test('one live edit waits per generation: a second request while it waits adds nothing; once it has run, the next request makes a new one', async () => {
  const id = crypto.randomUUID();
  await sendLiveEdit(boss, id);
  await sendLiveEdit(boss, id);
  await sendLiveEdit(boss, id, { startAfter: new Date(Date.now() + 60_000) });
  expect(await liveJobs(id)).toEqual([{ state: 'created', group_id: id, data: { generationId: id, kind: 'live' }, later: false }]);
  await tdb.pool.query(`update pgboss.job set state = 'completed' where name = 'deliver' and singleton_key = $1`, [`live:${id}`]);
  await sendLiveEdit(boss, id, { startAfter: new Date(Date.now() + 60_000) });
  expect((await liveJobs(id)).map((j) => [j.state, j.later])).toEqual([['completed', false], ['created', true]]);
});

test('a live edit runnable now wakes the deliver workers; one for later does not', async () => {
  const listener = new pg.Client({ connectionString: tdb.url });
  await listener.connect();
  const heard: string[] = [];
  listener.on('notification', (n) => heard.push(n.payload ?? ''));
  await listener.query(`listen "${(await tdb.pool.query(`select ${bossNotifyChannel} as c`)).rows[0].c}"`);
  await sendLiveEdit(boss, crypto.randomUUID(), { startAfter: new Date(Date.now() + 60_000) });
  await sendLiveEdit(boss, crypto.randomUUID());
  await expect.poll(() => heard).toEqual(['deliver']);
  await new Promise((r) => setTimeout(r, 200));
  expect(heard).toEqual(['deliver']);
  await listener.end();
});
