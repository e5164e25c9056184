import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { seedInstances } from '#shared/db/sql/instances.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { exportedTxt2Img, exportedTxt2ImgBindings, exportedWithCustomNode } from '../support/workflow-template-fixture.ts';
import { adminApiForFile } from './harness.ts';

const world = adminApiForFile();
let plain: ComfySim;
let custom: ComfySim;
const ids = { plain: 0, custom: 0 };

beforeAll(async () => {
  [plain, custom] = await Promise.all([startComfySim(), startComfySim({ customNodes: ['SimImageTint'] })]);
  const seed = seedInstances([plain.url, custom.url]);
  await world.tdb.pool.query(seed.text, seed.values);
  const { rows } = await world.tdb.pool.query<{ id: number; base_url: string }>('select id, base_url from comfy_instance');
  ids.plain = rows.find((r) => r.base_url === plain.url)!.id;
  ids.custom = rows.find((r) => r.base_url === custom.url)!.id;
});
afterAll(() => Promise.all([plain?.close(), custom?.close()]));

interface Problem { binding?: string; nodeId: string; classType?: string; input?: string; code: string; message: string }
interface Refusal { error: { code: string; message: string; details: { instances?: { id: number; name: string; problems: Problem[] }[] } & Record<string, unknown> } }

const upload = (body: Record<string, unknown>) => world.api.request('/api/v1/workflows', { method: 'POST', json: body });
const body = (over: Record<string, unknown> = {}) => ({ name: 'default', workflow: exportedTxt2Img(), bindings: exportedTxt2ImgBindings(), ...over });

describe('POST /api/v1/workflows: upload checked against every enabled instance\'s object_info', () => {
  test('ComfyUI\'s exported default workflow is stored as version 1, then 2; listed, fetched with versions, audited', async () => {
    const first = await upload(body({ description: 'the default graph' }));
    expect(first.status, await first.clone().text()).toBe(201);
    const created = (await first.json()) as Record<string, unknown>;
    expect(created).toMatchObject({ name: 'default', description: 'the default graph', enabled: true, allowedRoles: [], latestVersion: 1, created: { version: 1 }, refusedBy: [] });
    expect(created.runsOn).toEqual([{ id: ids.plain, name: expect.any(String) }, { id: ids.custom, name: expect.any(String) }].sort((a, b) => a.id - b.id));
    expect(first.headers.get('location')).toBe(`/api/v1/workflows/${created.id as number}`);

    const second = await upload(body());
    expect(second.status).toBe(201);
    const fetched = (await (await world.api.request(`/api/v1/workflows/${created.id as number}`)).json()) as { versions: { version: number; graph: unknown; nodeClasses: string[] }[] };
    expect(fetched.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(fetched.versions[0]!.graph).toEqual(exportedTxt2Img());
    expect(fetched.versions[0]!.nodeClasses).toEqual(['CLIPTextEncode', 'CheckpointLoaderSimple', 'EmptyLatentImage', 'KSampler', 'SaveImage', 'VAEDecode']);
    const list = (await (await world.api.request('/api/v1/workflows')).json()) as { items: { name: string; latestVersion: number }[] };
    expect(list.items).toContainEqual(expect.objectContaining({ name: 'default', latestVersion: 2 }));
    const audit = await world.tdb.pool.query(`select action, entity_id, after->>'version' as version from audit_log where entity = 'workflow_template' order by id`);
    expect(audit.rows).toEqual([{ action: 'workflow.create', entity_id: String(created.id), version: '1' }, { action: 'workflow.version', entity_id: String(created.id), version: '2' }]);
  });

  test('a custom node present on one instance: stored, runs there only, the other named with why', async () => {
    const res = await upload(body({ name: 'tinted', workflow: exportedWithCustomNode() }));
    expect(res.status, await res.clone().text()).toBe(201);
    const created = (await res.json()) as { runsOn: { id: number }[]; refusedBy: { id: number; problems: Problem[] }[] };
    expect(created.runsOn.map((i) => i.id)).toEqual([ids.custom]);
    expect(created.refusedBy).toEqual([{ id: ids.plain, name: expect.any(String), problems: [expect.objectContaining({ nodeId: '10', classType: 'SimImageTint', code: 'missing_node_type' })] }]);
  });

  const refusals: { name: string; workflow?: () => Record<string, unknown>; bindings?: (b: Record<string, unknown>) => Record<string, unknown>; expected: Partial<Problem> }[] = [
    {
      name: 'an unknown node class',
      workflow: () => ({ ...exportedWithCustomNode(), 10: { class_type: 'NoSuchNode', inputs: { image: ['8', 0] } } }),
      expected: { nodeId: '10', classType: 'NoSuchNode', code: 'missing_node_type' },
    },
    { name: 'a binding to a missing node', bindings: (b) => ({ ...b, negative: { node: '70', input: 'text' } }), expected: { binding: 'negative', nodeId: '70', code: 'binding_node_missing' } },
    { name: 'a binding to an input the node lacks', bindings: (b) => ({ ...b, seed: { node: '3', input: 'noise_seed' } }), expected: { binding: 'seed', nodeId: '3', classType: 'KSampler', input: 'noise_seed', code: 'binding_input_unknown' } },
    { name: 'a binding of the wrong type', bindings: (b) => ({ ...b, steps: { node: '3', input: 'cfg' } }), expected: { binding: 'steps', nodeId: '3', classType: 'KSampler', input: 'cfg', code: 'binding_type_mismatch' } },
    { name: 'a binding to a linked input', bindings: (b) => ({ ...b, prompt: { node: '3', input: 'positive' } }), expected: { binding: 'prompt', nodeId: '3', input: 'positive' } },
    {
      name: 'a wrong literal type in the workflow itself',
      workflow: () => ({ ...exportedTxt2Img(), 9: { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'x' } }, 5: { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 'many' } } }),
      bindings: (b) => ({ ...b, batchSize: undefined }),
      expected: { nodeId: '5', classType: 'EmptyLatentImage', input: 'batch_size', code: 'invalid_input_type' },
    },
  ];
  for (const r of refusals) {
    test(`refused 422 on every instance, naming node, class and input: ${r.name}`, async () => {
      const b = exportedTxt2ImgBindings() as unknown as Record<string, unknown>;
      const res = await upload(body({ name: 'refused', workflow: r.workflow?.() ?? exportedTxt2Img(), bindings: JSON.parse(JSON.stringify(r.bindings?.(b) ?? b)) }));
      const answer = (await res.json()) as Refusal;
      expect(res.status, JSON.stringify(answer)).toBe(422);
      expect(answer.error.code).toBe('comfy_validation');
      expect(answer.error.details.instances!.map((i) => i.id).sort()).toEqual([ids.plain, ids.custom].sort());
      for (const i of answer.error.details.instances!) expect(i.problems).toContainEqual(expect.objectContaining(r.expected));
      expect(answer.error.message).toContain(r.expected.nodeId!);
      expect((await world.tdb.pool.query(`select 1 from workflow_template where name = 'refused'`)).rowCount).toBe(0);
    });
  }

  test('a missing prompt binding or a malformed workflow is a 400 naming the field', async () => {
    const { prompt: _p, ...noPrompt } = exportedTxt2ImgBindings();
    const res = await upload(body({ bindings: noPrompt }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as Refusal).error.details).toHaveProperty(['bindings.prompt']);
    const bad = await upload(body({ workflow: { 3: { inputs: {} } } }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Refusal).error.details).toHaveProperty(['workflow.3.class_type']);
  });
});

describe('switch and roles', () => {
  test('disable, enable and allowed roles change the template with an audit row', async () => {
    const res = await upload(body({ name: 'roles' }));
    const { id } = (await res.json()) as { id: number };
    expect(((await (await world.api.request(`/api/v1/workflows/${id}/disable`, { method: 'POST' })).json()) as { enabled: boolean }).enabled).toBe(false);
    const patched = await world.api.request(`/api/v1/workflows/${id}`, { method: 'PATCH', json: { allowedRoles: ['123456789012345678'], enabled: true } });
    expect(await patched.json()).toMatchObject({ enabled: true, allowedRoles: ['123456789012345678'] });
    const audit = await world.tdb.pool.query(`select action, before->>'enabled' as before, after->>'enabled' as after from audit_log where entity_id = $1 and action <> 'workflow.create' order by id`, [String(id)]);
    expect(audit.rows).toEqual([{ action: 'workflow.disable', before: 'true', after: 'false' }, { action: 'workflow.update', before: 'false', after: 'true' }]);
    expect((await world.api.request('/api/v1/workflows/999999/enable', { method: 'POST' })).status).toBe(404);
    expect((await world.api.request(`/api/v1/workflows/${id}`, { method: 'PATCH', json: { allowedRoles: ['not-a-role'] } })).status).toBe(400);
  });
});
