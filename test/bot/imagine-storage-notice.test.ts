import { afterAll, beforeAll, expect, test } from 'vitest';
import { storageNotice } from '#shared/render/storage-notice.ts';
import { startE2E, type E2E } from '../support/e2e.ts';

let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

type Embed = { title?: string; fields?: { name: string; value: string }[] };
const fieldsOf = (data: unknown) => ((data as { embeds: Embed[] }).embeds[0]!.fields ?? []);

test('storageNotice: nothing while storage is healthy, a longer-wait line while it fails', () => {
  expect(storageNotice(null)).toBeUndefined();
  expect(storageNotice(new Date())).toMatch(/storage is failing.*longer than usual/i);
});

test('/imagine while image storage is failing says the wait is longer; once it works again, it does not', async () => {
  const player = e2e.playUser();
  await e2e.db.pool.query(`update storage_health set failing_since = now(), last_error = 'ENOSPC' where id = 1`);
  const during = await player.imagine({ prompt: 'a lighthouse in fog' });
  const notice = fieldsOf(during.response.data).find((f) => f.name.includes('Longer wait'));
  expect(notice?.value).toBe(storageNotice(new Date()));
  expect(notice?.value).not.toContain('ENOSPC'); // the operator's error stays in the logs

  await e2e.db.pool.query(`update storage_health set failing_since = null, last_error = null where id = 1`);
  const after = await player.imagine({ prompt: 'a lighthouse at dawn' });
  expect(fieldsOf(after.response.data).map((f) => f.name)).not.toContainEqual(expect.stringContaining('Longer wait'));
  expect((after.response.data as { embeds: Embed[] }).embeds[0]!.title).toBe('Queued — #2 in line');
});

test('/imagine when the storage health cannot be read: the request is queued and the reply says so, without a notice', async () => {
  const player = e2e.playUser();
  await e2e.db.pool.query(`alter table storage_health rename to storage_health_away`);
  try {
    const reply = await player.imagine({ prompt: 'a lighthouse by night' });
    expect((reply.response.data as { embeds: Embed[] }).embeds[0]!.title).toMatch(/^Queued — #\d+ in line$/);
    expect(fieldsOf(reply.response.data).map((f) => f.name)).not.toContainEqual(expect.stringContaining('Longer wait'));
    const { rows } = await e2e.db.pool.query(`select status from generation where prompt = 'a lighthouse by night'`);
    expect(rows).toEqual([{ status: 'queued' }]);
  } finally {
    await e2e.db.pool.query(`alter table storage_health_away rename to storage_health`);
  }
});
