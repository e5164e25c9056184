import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { templateNodeClasses, type PromptGraph } from '#shared/comfyui/workflow/index.ts';
import { createTemplateVersion } from '#admin/sql/workflows.ts';
import { discoverModelsJob } from '#scheduler/jobs/discover-models.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';
import { jobHelpers } from '../support/scheduler-context.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { exportedTxt2ImgBindings, exportedWithCustomNode } from '../support/workflow-template-fixture.ts';

const models = { checkpoints: ['base.safetensors'], loras: ['ink.safetensors'] };
let tdb: TestDatabase;
let discord: DiscordSim;
let plain: ComfySim;
let custom: ComfySim;
let h: SchedulerHarness;
const ids = { plain: 0, custom: 0 };

beforeAll(async () => {
  tdb = await createTestDatabase();
  discord = await startDiscordSim();
  [plain, custom] = await Promise.all([startComfySim({ models, secondsPerStep: 0.001 }), startComfySim({ models, secondsPerStep: 0.001, customNodes: ['SimImageTint'] })]);
  h = await startSchedulerHarness({ tdb, discord, comfyUrls: [plain.url, custom.url] });
  const { rows } = await tdb.pool.query<{ id: number; base_url: string }>('select id, base_url from comfy_instance');
  ids.plain = rows.find((r) => r.base_url === plain.url)!.id;
  ids.custom = rows.find((r) => r.base_url === custom.url)!.id;
  await discoverModelsJob.handle(h.scheduler.context, {}, jobHelpers());
});
afterAll(async () => {
  await h?.stop();
  await Promise.all([plain?.close(), custom?.close(), discord?.close()]);
  await tdb?.drop();
});

async function storeTemplate(name: string, graph: PromptGraph): Promise<number> {
  const v = createTemplateVersion({ actor: 'test', name, graph, bindings: exportedTxt2ImgBindings(), nodeClasses: templateNodeClasses(graph) });
  return (await tdb.pool.query<{ versionId: number }>(v.text, v.values)).rows[0]!.versionId;
}

describe('a workflow template with a custom node, two ComfyUI instances, one of which has the node', () => {
  test('every generation from it is placed on the instance that has the node, runs with its values and LoRA, and is delivered', async () => {
    const versionId = await storeTemplate('tinted', exportedWithCustomNode());
    const queued = await Promise.all([0, 1, 2].map((i) => h.enqueue({
      workflowTemplate: 'tinted', workflowVersionId: versionId, checkpoint: 'base.safetensors', width: 64, height: 64, steps: 3, seed: String(i),
      loras: i === 0 ? [{ name: 'ink.safetensors', strengthModel: 0.7, strengthClip: 0.7 }] : [],
    })));
    const done = await Promise.all(queued.map((q) => h.waitFor(q.generation.id, ['succeeded'], { delivered: true })));
    expect(done.map((g) => [g.comfyInstanceId, g.outputs.length])).toEqual([[ids.custom, 1], [ids.custom, 1], [ids.custom, 1]]);
    expect(plain.executions).toEqual([]);
    expect(custom.executions.map((e) => e.status)).toEqual(['success', 'success', 'success']);
  });

  test('a plain generation still goes to either, and a template whose node no instance has fails with a reason', async () => {
    const ordinary = await h.enqueue({ checkpoint: 'base.safetensors', width: 64, height: 64, steps: 2 });
    expect((await h.waitFor(ordinary.generation.id, ['succeeded'])).comfyInstanceId).toBeGreaterThan(0);

    const graph = exportedWithCustomNode();
    graph['10']!.class_type = 'NotInstalledAnywhere';
    const versionId = await storeTemplate('unrunnable', graph);
    const g = await h.enqueue({ workflowTemplate: 'unrunnable', workflowVersionId: versionId, checkpoint: 'base.safetensors', width: 64, height: 64 });
    const failed = await h.waitFor(g.generation.id, ['failed']);
    expect(failed.errorMessage).toBe("No image server has base.safetensors and every node of the workflow 'unrunnable'. Pick another model or ask an operator to install it.");
  });
});
