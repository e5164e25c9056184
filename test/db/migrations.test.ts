import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { migrate } from '#shared/db/migrate.ts';
import { databaseUrl, dropDatabase, uniqueName, withAdminClient } from '../support/db.ts';

const tables = ['abandoned_prompt', 'app_secret', 'audit_log', 'comfy_instance', 'generation', 'guild_blocklist', 'guild_model_disabled', 'guild_settings', 'limit_policy', 'model', 'model_family_rule', 'pending_erasure', 'queue_waiting', 'storage_health', 'user_usage', 'workflow_template', 'workflow_template_version'];

async function listTables(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ tablename: string }>(
      `select tablename from pg_tables where schemaname = 'public' and tablename <> 'mikro_orm_migrations' order by 1`,
    );
    return rows.map((r) => r.tablename);
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  const name = uniqueName('gn_migrations');
  const url = databaseUrl(name);

  beforeAll(async () => {
    await withAdminClient((c) => c.query(`create database ${pg.escapeIdentifier(name)}`));
  });
  afterAll(async () => {
    await dropDatabase(name);
  });

  test('up → down → up round trip leaves the full schema', async () => {
    const first = await migrate(url, 'up');
    expect(first.applied.length).toBeGreaterThan(0);
    expect(await listTables(url)).toEqual(tables);

    await migrate(url, 'down', { to: 0 });
    expect(await listTables(url)).toEqual([]);

    const again = await migrate(url, 'up');
    expect(again.applied).toEqual(first.applied);
    expect(await listTables(url)).toEqual(tables);
  });

  test('two processes migrating at once: one applies, the other finds nothing to do', async () => {
    await migrate(url, 'down', { to: 0 });
    const [a, b] = await Promise.all([migrate(url, 'up'), migrate(url, 'up')]);
    expect([a.applied.length > 0, b.applied.length > 0].sort()).toEqual([false, true]);
    expect(await listTables(url)).toEqual(tables);
  });

  test('the limits migration counts what already waits or runs, and today\'s images, as the limiter would have', async () => {
    await migrate(url, 'down', { to: 0 });
    await migrate(url, 'up', { to: 'Migration20261124142909_abandoned_prompt' });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const add = (user: string, status: string, batch: number, opts: { started?: boolean; daysAgo?: number } = {}) =>
        client.query(
          `insert into generation (id, user_id, channel_id, application_id, prompt, checkpoint, width, height, batch_size, seed, steps, cfg, sampler, scheduler, status, started_at, created_at)
           values (gen_random_uuid(), $1, '1', '1', 'p', 'c', 64, 64, $2, 1, 1, 1, 'euler', 'normal', $3, $4, now() - make_interval(days => $5))`,
          [user, batch, status, opts.started ? new Date() : null, opts.daysAgo ?? 0],
        );
      await add('100000000000000001', 'queued', 2);
      await add('100000000000000001', 'running', 1, { started: true });
      await add('100000000000000001', 'cancelled', 3); // never started: its images were given back
      await add('100000000000000001', 'succeeded', 4, { started: true, daysAgo: 2 });
      await add('100000000000000002', 'failed', 2, { started: true });

      await migrate(url, 'up');
      const usage = await client.query(`select user_id, day_count, active from user_usage order by user_id`);
      expect(usage.rows).toEqual([
        { user_id: '100000000000000001', day_count: 3, active: 2 },
        { user_id: '100000000000000002', day_count: 2, active: 0 },
      ]);
      expect((await client.query(`select sum(waiting)::int as n from queue_waiting`)).rows[0].n).toBe(1);
      const charged = await client.query(`select count(*) filter (where charged_at is null)::int as uncounted from generation`);
      expect(charged.rows[0].uncounted).toBe(1);
    } finally {
      await client.end();
    }
  });
});
