import pg from 'pg';
import { expect, test } from 'vitest';
import { jobUpsertByKeyInsertSql } from '#shared/queue/job-insert-sql.ts';
import { sendLiveEdit } from '#shared/queue/send-live.ts';
import { deliverChannel } from '#shared/queue/wake.ts';
import { databaseWithBoss } from '../support/database-with-boss.ts';

const world = databaseWithBoss();

const liveJobs = async (id: string) =>
  (await world.tdb.pool.query<{ state: string; group_id: string; data: unknown; later: boolean }>(
    `select state, group_id, data, start_after > now() + interval '5 seconds' as later from pgboss.job where name = 'deliver' and singleton_key = $1 order by created_on`,
    [`live:${id}`],
  )).rows;

test("pg-boss's upsert-by-key insert can be embedded: a live edit is one statement", async () => {
  // Null would send every live edit down pg-boss's upsert (BEGIN, update, insert, COMMIT).
  expect(await jobUpsertByKeyInsertSql(world.boss, 'deliver')).toMatchObject({ notify: true, returnsStartAfter: true, insert: expect.stringMatching(/upsert_by_key/) });
});

test('one live edit waits per generation: a second request while it waits adds nothing; once it has run, the next request makes a new one', async () => {
  const id = crypto.randomUUID();
  await sendLiveEdit(world.boss, id);
  await sendLiveEdit(world.boss, id);
  await sendLiveEdit(world.boss, id, { startAfter: new Date(Date.now() + 60_000) });
  expect(await liveJobs(id)).toEqual([{ state: 'created', group_id: id, data: { generationId: id, kind: 'live' }, later: false }]);
  await world.tdb.pool.query(`update pgboss.job set state = 'completed' where name = 'deliver' and singleton_key = $1`, [`live:${id}`]);
  await sendLiveEdit(world.boss, id, { startAfter: new Date(Date.now() + 60_000) });
  expect((await liveJobs(id)).map((j) => [j.state, j.later])).toEqual([['completed', false], ['created', true]]);
});

test('a live edit runnable now wakes the deliver workers (deliverChannel); one for later does not', async () => {
  const listener = new pg.Client({ connectionString: world.tdb.url });
  await listener.connect();
  const heard: string[] = [];
  listener.on('notification', (n) => heard.push(n.channel));
  await listener.query(`listen ${deliverChannel}`);
  await sendLiveEdit(world.boss, crypto.randomUUID(), { startAfter: new Date(Date.now() + 60_000) });
  await sendLiveEdit(world.boss, crypto.randomUUID());
  await expect.poll(() => heard).toEqual([deliverChannel]);
  await new Promise((r) => setTimeout(r, 200));
  expect(heard).toEqual([deliverChannel]);
  await listener.end();
});
