import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ComfyClient } from '#shared/comfyui/client.ts';
import { discoverModels } from '#shared/comfyui/discovery/discover.ts';
import { seedInstances } from '#shared/db/sql/instances.ts';
import { createLogger } from '#shared/logging.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
let tdb: TestDatabase;
let a: ComfySim;
let b: ComfySim;
let ids: { a: number; b: number };

beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb.drop();
});

beforeEach(async () => {
  a = await startComfySim({ models: { checkpoints: ['base.safetensors', 'old.ckpt'], loras: ['style/ink.safetensors'], vae: ['sdxl_vae.safetensors'], embeddings: [] } });
  b = await startComfySim({ models: { checkpoints: ['base.safetensors', 'flux.sft'], loras: [], vae: [], embeddings: ['bad-hands.pt'] } });
  await tdb.pool.query('delete from model');
  await tdb.pool.query('delete from comfy_instance');
  const seed = seedInstances([a.url, b.url]);
  await tdb.pool.query(seed.text, seed.values);
  const { rows } = await tdb.pool.query<{ id: number; base_url: string }>('select id, base_url from comfy_instance');
  ids = { a: rows.find((r) => r.base_url === a.url)!.id, b: rows.find((r) => r.base_url === b.url)!.id };
});
afterEach(async () => {
  await Promise.all([a.close(), b.close()]);
});

function discover(enableNew = true) {
  return discoverModels({
    pool: tdb.pool,
    logger,
    enableNew,
    instanceTimeoutMs: 5_000,
    clientFor: (i) => new ComfyClient({ baseUrl: i.baseUrl, logger, retries: 0, timeoutMs: 2_000 }),
  });
}

interface Row {
  id: number;
  kind: string;
  fileName: string;
  enabled: boolean;
  unsafe: boolean;
  available: boolean;
  source: string;
  instanceIds: number[];
  firstSeenAt: Date | null;
  lastSeenAt: Date | null;
}

async function models(): Promise<Record<string, Row>> {
  const { rows } = await tdb.pool.query<Row>(
    `select id, kind, file_name as "fileName", enabled, unsafe, available, source, instance_ids as "instanceIds",
      first_seen_at as "firstSeenAt", last_seen_at as "lastSeenAt" from model order by id`,
  );
  return Object.fromEntries(rows.map((r) => [`${r.kind}:${r.fileName}`, r]));
}

const pick = (r: Row | undefined) => r && { enabled: r.enabled, unsafe: r.unsafe, available: r.available, instanceIds: r.instanceIds };

describe('discoverModels against two ComfyUI instances', () => {
  test('adds every file with the instances that have it; pickle formats unsafe and disabled', async () => {
    const summary = await discover(true);
    const m = await models();
    expect(Object.keys(m).sort()).toEqual([
      'checkpoint:base.safetensors',
      'checkpoint:flux.sft',
      'checkpoint:old.ckpt',
      'embedding:bad-hands.pt',
      'lora:style/ink.safetensors',
      'vae:sdxl_vae.safetensors',
    ]);
    expect(pick(m['checkpoint:base.safetensors'])).toEqual({ enabled: true, unsafe: false, available: true, instanceIds: [ids.a, ids.b] });
    expect(pick(m['checkpoint:flux.sft'])).toEqual({ enabled: true, unsafe: false, available: true, instanceIds: [ids.b] });
    expect(pick(m['checkpoint:old.ckpt'])).toEqual({ enabled: false, unsafe: true, available: true, instanceIds: [ids.a] });
    expect(pick(m['embedding:bad-hands.pt'])).toEqual({ enabled: false, unsafe: true, available: true, instanceIds: [ids.b] });
    expect(m['lora:style/ink.safetensors']).toMatchObject({ source: 'discovered', firstSeenAt: expect.any(Date), lastSeenAt: expect.any(Date) });
    expect(summary.added).toHaveLength(6);
    expect(summary).toMatchObject({ updated: [], retired: [], unreachable: [] });

    const again = await discover(true);
    expect(again).toEqual({ added: [], updated: [], retired: [], unreachable: [] });
  });

  test('MODELS_ENABLE_NEW=false: new safe files are disabled too', async () => {
    await discover(false);
    const m = await models();
    expect(pick(m['checkpoint:base.safetensors'])).toMatchObject({ enabled: false, unsafe: false });
    expect(Object.values(m).every((r) => !r.enabled)).toBe(true);
  });

  test('a file gone from every instance is retired (kept, unavailable) and comes back when it is back', async () => {
    await discover();
    const before = await models();
    a.setModels('checkpoints', ['old.ckpt']);
    b.setModels('checkpoints', ['flux.sft']);
    const gone = await discover();
    expect(gone.retired).toMatchObject([{ id: before['checkpoint:base.safetensors']!.id, kind: 'checkpoint', fileName: 'base.safetensors' }]);
    expect(gone.added).toEqual([]);
    let m = await models();
    expect(pick(m['checkpoint:base.safetensors'])).toEqual({ enabled: true, unsafe: false, available: false, instanceIds: [] });
    expect(m['checkpoint:base.safetensors']!.lastSeenAt).toEqual(before['checkpoint:base.safetensors']!.lastSeenAt);

    b.setModels('checkpoints', ['base.safetensors', 'flux.sft']);
    const back = await discover();
    expect(back.updated).toEqual([
      {
        id: before['checkpoint:base.safetensors']!.id,
        kind: 'checkpoint',
        fileName: 'base.safetensors',
        before: { instanceIds: [], available: false },
        after: { instanceIds: [ids.b], available: true },
      },
    ]);
    m = await models();
    expect(pick(m['checkpoint:base.safetensors'])).toEqual({ enabled: true, unsafe: false, available: true, instanceIds: [ids.b] });
    expect(m['checkpoint:base.safetensors']!.id).toBe(before['checkpoint:base.safetensors']!.id);
  });

  test('a file leaving one instance only moves its instance list', async () => {
    await discover();
    a.setModels('checkpoints', ['old.ckpt']);
    const s = await discover();
    expect(s.retired).toEqual([]);
    expect(s.updated.map((u) => [u.fileName, u.after])).toEqual([['base.safetensors', { instanceIds: [ids.b], available: true }]]);
  });

  test('an unreachable instance retires nothing and keeps what it had', async () => {
    await discover();
    await a.refuseConnections(true);
    b.setModels('checkpoints', ['flux.sft']);
    const s = await discover();
    expect(s.unreachable).toEqual([{ id: ids.a, name: expect.any(String), baseUrl: a.url, error: expect.any(String) }]);
    expect(s.retired).toEqual([]);
    const m = await models();
    expect(pick(m['checkpoint:base.safetensors'])).toMatchObject({ available: true, instanceIds: [ids.a] });
    expect(pick(m['checkpoint:old.ckpt'])).toMatchObject({ available: true, instanceIds: [ids.a] });
    expect(pick(m['lora:style/ink.safetensors'])).toMatchObject({ available: true, instanceIds: [ids.a] });

    // Once it answers again without those files, they retire.
    await a.refuseConnections(false);
    a.setModels('checkpoints', []);
    const later = await discover();
    expect(later.unreachable).toEqual([]);
    expect(later.retired.map((r) => r.fileName).sort()).toEqual(['base.safetensors', 'old.ckpt']);
  });

  test('every instance unreachable: no change at all', async () => {
    await discover();
    const before = await models();
    await Promise.all([a.refuseConnections(true), b.refuseConnections(true)]);
    const s = await discover();
    expect(s.unreachable).toHaveLength(2);
    expect(s).toMatchObject({ added: [], updated: [], retired: [] });
    expect(await models()).toEqual(before);
  });

  test('an instance whose model folder fails counts as unreachable, not as empty', async () => {
    await discover();
    a.failNextRequests(1, { pathPrefix: '/models/loras' });
    const s = await discover();
    expect(s.unreachable.map((u) => u.id)).toEqual([ids.a]);
    expect(s.retired).toEqual([]);
  });

  test("an operator's enable/disable survives retire and return", async () => {
    await discover();
    const m = await models();
    await tdb.pool.query('update model set enabled = false where id = $1', [m['checkpoint:base.safetensors']!.id]);
    await tdb.pool.query('update model set enabled = true where id = $1', [m['checkpoint:old.ckpt']!.id]);
    a.setModels('checkpoints', []);
    b.setModels('checkpoints', []);
    await discover();
    a.setModels('checkpoints', ['base.safetensors', 'old.ckpt']);
    await discover();
    const after = await models();
    expect(pick(after['checkpoint:base.safetensors'])).toMatchObject({ enabled: false, available: true });
    expect(pick(after['checkpoint:old.ckpt'])).toMatchObject({ enabled: true, unsafe: true, available: true });
  });

  test('manual models are never retired but get their instances recorded', async () => {
    await tdb.pool.query(
      `insert into model (kind, file_name, display_name, source) values ('checkpoint', 'base.safetensors', 'Base', 'manual'), ('lora', 'elsewhere.safetensors', 'Elsewhere', 'manual')`,
    );
    const s = await discover();
    expect(s.added.map((x) => x.fileName)).not.toContain('base.safetensors');
    const m = await models();
    expect(pick(m['checkpoint:base.safetensors'])).toMatchObject({ available: true, instanceIds: [ids.a, ids.b] });
    expect(m['checkpoint:base.safetensors']!.source).toBe('manual');
    expect(pick(m['lora:elsewhere.safetensors'])).toMatchObject({ available: true, instanceIds: [] });
    expect(s.retired).toEqual([]);
  });

  test('a disabled instance is not asked and its files drop out', async () => {
    await discover();
    await tdb.pool.query('update comfy_instance set enabled = false where id = $1', [ids.b]);
    const s = await discover();
    expect(s.unreachable).toEqual([]);
    expect(s.retired.map((r) => r.fileName).sort()).toEqual(['bad-hands.pt', 'flux.sft']);
    expect(pick((await models())['checkpoint:base.safetensors'])).toMatchObject({ instanceIds: [ids.a] });
  });

  test('concurrent runs do not collide', async () => {
    const results = await Promise.all([discover(), discover(), discover()]);
    expect(results.map((r) => r.added.length).sort()).toEqual([0, 0, 6]);
    expect(Object.keys(await models())).toHaveLength(6);
  });
});

describe('npm run models:refresh', () => {
  let scriptDb: TestDatabase;
  beforeAll(async () => {
    scriptDb = await createTestDatabase();
  });
  afterAll(async () => {
    await scriptDb.drop();
  });

  test('runs once and prints what changed, naming instances that did not answer', async () => {
    const refused = await freePort();
    const run = () =>
      promisify(execFile)(process.execPath, ['scripts/models-refresh.ts'], {
        cwd: new URL('../..', import.meta.url).pathname,
        env: { ...process.env, DATABASE_URL: scriptDb.url, COMFYUI_URLS: `${a.url},http://127.0.0.1:${refused}`, MODELS_ENABLE_NEW: 'true', LOG_LEVEL: 'silent' },
        timeout: 20_000,
      });
    const first = await run();
    expect(first.stdout).toContain('added 4:');
    expect(first.stdout).toContain('  + checkpoint base.safetensors (enabled) on instances 1');
    expect(first.stdout).toContain('  + checkpoint old.ckpt (disabled: unsafe format, enable by hand if trusted) on instances 1');
    expect(first.stdout).toMatch(new RegExp(`unreachable 1 .*\\n  ! comfy-2 http://127\\.0\\.0\\.1:${refused}: `));

    a.setModels('loras', []);
    const second = await run();
    expect(second.stdout).toContain('retired 1 (gone from every instance, marked unavailable):\n  - lora style/ink.safetensors\n');
    expect(second.stdout).not.toContain('added');
    const { rows } = await scriptDb.pool.query(`select available from model where file_name = 'style/ink.safetensors'`);
    expect(rows).toEqual([{ available: false }]);
  }, 30_000);
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
