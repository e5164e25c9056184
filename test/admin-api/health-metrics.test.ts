import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createOrm } from '#shared/db/orm.ts';
import { asDb, createPool } from '#shared/db/pool.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { serveApp, type ServedApp } from './harness.ts';

let withBoss: TestDatabase;
let withoutBoss: TestDatabase;
let orm: MikroORM;
let api: ServedApp;
let noBossApi: ServedApp;
let deadPool: pg.Pool;
let deadApi: ServedApp;

beforeAll(async () => {
  [withBoss, withoutBoss] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  orm = await createOrm(withBoss.url);
  const boss = await startBoss(withBoss.url, { supervise: false });
  await boss.send('generate', { generationId: '00000000-0000-4000-8000-000000000001' });
  await boss.send('generate', { generationId: '00000000-0000-4000-8000-000000000002' });
  await boss.send('deliver', { generationId: '00000000-0000-4000-8000-000000000001' });
  await boss.stop({ graceful: false });
  await withBoss.pool.query(`insert into generation (id, user_id, channel_id, application_id, prompt, checkpoint, width, height, seed, steps, cfg, sampler, scheduler, status)
    select gen_random_uuid(), '100000000000000001', '300000000000000001', '400000000000000001', 'p', 'c', 512, 512, 1, 20, 7, 'euler', 'normal', s
    from unnest(array['queued', 'queued', 'failed']) as s`);
  api = await serveApp({ tdb: withBoss, orm });
  noBossApi = await serveApp({ tdb: withoutBoss, orm, noQueue: true });
  const nowhere = new URL(withBoss.url);
  nowhere.pathname = `/${withBoss.name}_dropped`;
  deadPool = createPool(nowhere.toString(), { connectionTimeoutMillis: 2000 });
  deadApi = await serveApp({ db: asDb(deadPool), orm });
});
afterAll(async () => {
  await Promise.all([api?.close(), noBossApi?.close(), deadApi?.close()]);
  await deadPool?.end();
  await orm?.close();
  await Promise.all([withBoss?.drop(), withoutBoss?.drop()]);
});

describe('health, readiness and metrics', () => {
  test('/healthz answers without a token or a database', async () => {
    const res = await deadApi.request('/healthz', { token: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  test('/readyz is 200 with Postgres and pg-boss, 503 without pg-boss or without the database', async () => {
    const ready = await api.request('/readyz', { token: null });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', queue: 'ok', storage: 'ok' } });

    const noBoss = await noBossApi.request('/readyz', { token: null });
    expect(noBoss.status).toBe(503);
    expect(await noBoss.json()).toEqual({ status: 'not_ready', checks: { database: 'ok', queue: 'missing', storage: 'ok' } });

    const dead = await deadApi.request('/readyz', { token: null });
    expect(dead.status).toBe(503);
    expect(await dead.json()).toEqual({ status: 'not_ready', checks: { database: 'down', queue: 'down', storage: 'down' } });
  });

  test('/readyz reports image storage failing (from the schedulers\' last write) without turning not ready', async () => {
    await withBoss.pool.query(`update storage_health set failing_since = now(), last_error = 'ENOSPC'`);
    try {
      const res = await api.request('/readyz', { token: null });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ready', checks: { storage: 'failing' }, storageFailingSince: expect.any(String) });
    } finally {
      await withBoss.pool.query(`update storage_health set failing_since = null, last_error = null`);
    }
  });

  test('/metrics has process metrics, generations by status and queue depth per queue', async () => {
    const res = await api.request('/metrics', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toMatch(/^genonaut_generations\{status="queued",role="admin-api"\} 2$/m);
    expect(text).toMatch(/^genonaut_generations\{status="failed",role="admin-api"\} 1$/m);
    expect(text).toMatch(/^genonaut_generations\{status="running",role="admin-api"\} 0$/m);
    expect(text).toMatch(/^genonaut_queue_depth\{queue="generate",role="admin-api"\} 2$/m);
    expect(text).toMatch(/^genonaut_queue_depth\{queue="deliver",role="admin-api"\} 1$/m);
    expect(text).toMatch(/^genonaut_queue_depth\{queue="thumbnail",role="admin-api"\} 0$/m);
  });

  test('/metrics still answers before pg-boss is installed, without queue depths', async () => {
    const res = await noBossApi.request('/metrics', { token: null });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^genonaut_generations\{status="queued",role="admin-api"\} 0$/m);
    expect(text).not.toMatch(/^genonaut_queue_depth\{/m);
  });
});
