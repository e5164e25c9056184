import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { errorOf, adminApiForFile } from './harness.ts';

const world = adminApiForFile();
let comfy: ComfySim;
let seededRules: { position: number; pattern: string; family: string }[];

interface RuleJson { position: number; pattern: string; family: string }
interface AuditRow { action: string; actor: string; before: { rules: RuleJson[] }; after: { rules: RuleJson[] } }

beforeAll(async () => {
  seededRules = (await world.tdb.pool.query('select position, pattern, family from model_family_rule order by position, id')).rows;
  comfy = await startComfySim({ models: { checkpoints: ['illustriousXL_v1.safetensors', 'mystery.safetensors'], loras: [], vae: [], embeddings: [] } });
});
afterAll(async () => {
  await comfy?.close();
});
beforeEach(async () => {
  await world.tdb.pool.query('truncate audit_log, model, comfy_instance, model_family_rule restart identity cascade');
  await world.tdb.pool.query(
    'insert into model_family_rule (position, pattern, family) select * from unnest($1::int[], $2::text[], $3::text[])',
    [seededRules.map((r) => r.position), seededRules.map((r) => r.pattern), seededRules.map((r) => r.family)],
  );
});

const rules = async () => ((await (await world.api.request('/api/v1/model-family-rules')).json()) as { items: RuleJson[] }).items;
const put = (json: unknown) => world.api.request('/api/v1/model-family-rules', { method: 'PUT', json });
const auditRows = async () => (await world.tdb.pool.query<AuditRow>(`select * from audit_log where entity = 'model_family_rule' order by id`)).rows;

describe('model family rules over HTTP', () => {
  test('GET lists the seeded rules in order; PUT replaces the list with an audit row; discovery applies the new rules', async () => {
    const seeded = await rules();
    expect(seeded.map((r) => r.family)).toContain('flux');
    expect(seeded.map((r) => r.position)).toEqual([...seeded.map((r) => r.position)].sort((a, b) => a - b));

    const res = await put({ rules: [{ pattern: '^illustrious', family: 'illustrious' }, ...seeded.map(({ pattern, family }) => ({ pattern, family }))] });
    expect(res.status).toBe(200);
    const stored = ((await res.json()) as { items: RuleJson[] }).items;
    expect(stored[0]).toEqual({ position: 10, pattern: '^illustrious', family: 'illustrious' });
    expect(stored).toHaveLength(seeded.length + 1);
    expect(await rules()).toEqual(stored);

    const audit = await auditRows();
    expect(audit.map((a) => [a.action, a.actor])).toEqual([['model_family_rules.set', 'admin-token']]);
    expect(audit[0]!.before.rules).toEqual(seeded);
    expect(audit[0]!.after.rules).toEqual(stored);

    await world.tdb.pool.query(`insert into comfy_instance (id, name, base_url) values (1, 'a', $1)`, [comfy.url]);
    expect((await world.api.request('/api/v1/models/refresh', { method: 'POST' })).status).toBe(200);
    const { rows } = await world.tdb.pool.query<{ file_name: string; base_family: string | null }>('select file_name, base_family from model order by file_name');
    expect(rows).toEqual([
      { file_name: 'illustriousXL_v1.safetensors', base_family: 'illustrious' },
      { file_name: 'mystery.safetensors', base_family: null },
    ]);
  });

  test('an empty list is allowed (names decide nothing then)', async () => {
    expect((await put({ rules: [] })).status).toBe(200);
    expect(await rules()).toEqual([]);
  });

  test.each([
    [{ rules: [{ pattern: '(unclosed', family: 'sdxl' }] }, 'rules.0.pattern'],
    [{ rules: [{ pattern: '', family: 'sdxl' }] }, 'rules.0.pattern'],
    [{ rules: [{ pattern: 'ok', family: 'SDXL!' }] }, 'rules.0.family'],
    [{ rules: [{ pattern: 'ok', family: 'sdxl', extra: 1 }] }, 'rules.0'],
    [{ rules: 'all' }, 'rules'],
    [{}, 'rules'],
    [{ rules: Array.from({ length: 201 }, () => ({ pattern: 'x', family: 'sd15' })) }, 'rules'],
  ])('PUT %j is refused with 400 naming %s, and nothing changes', async (body, field) => {
    const before = await rules();
    const res = await put(body);
    expect(res.status).toBe(400);
    expect(Object.keys((await errorOf(res)).details as object)).toContain(field);
    expect(await rules()).toEqual(before);
    expect(await auditRows()).toEqual([]);
  });

  test('without the token: 401 and nothing changes', async () => {
    const before = await rules();
    const res = await world.api.request('/api/v1/model-family-rules', { method: 'PUT', json: { rules: [] }, token: null });
    expect(res.status).toBe(401);
    expect(await rules()).toEqual(before);
  });
});
