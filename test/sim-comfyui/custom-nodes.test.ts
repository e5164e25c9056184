import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializePrompt } from '#shared/comfyui/workflow/index.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { exportedWithCustomNode } from '../support/workflow-template-fixture.ts';
import { getJson, historyOf, postPrompt } from './helpers.ts';

let plain: ComfySim;
let custom: ComfySim;
beforeAll(async () => {
  [plain, custom] = await Promise.all([startComfySim({ secondsPerStep: 0.001 }), startComfySim({ secondsPerStep: 0.001, customNodes: ['SimImageTint'] })]);
});
afterAll(() => Promise.all([plain.close(), custom.close()]));

describe('sim/comfyui custom nodes', () => {
  it('only the instance started with a custom node lists it in object_info, with its pack as python_module', async () => {
    const info = (await getJson(custom, '/object_info')) as Record<string, { python_module: string; input: { required: Record<string, unknown> } }>;
    expect(info.SimImageTint?.python_module).toBe('custom_nodes.ComfyUI-SimTint');
    expect(info.SimImageTint?.input.required.strength).toEqual(['FLOAT', { default: 0.5, min: 0, max: 1, step: 0.01 }]);
    expect(Object.keys((await getJson(plain, '/object_info')) as object)).not.toContain('SimImageTint');
    expect(await getJson(plain, '/object_info/SimImageTint')).toEqual({});
  });

  it('runs a prompt using it there, and refuses it where it is not installed', async () => {
    const prompt = serializePrompt(exportedWithCustomNode());
    const ran = await postPrompt(custom, prompt);
    expect(ran.status).toBe(200);
    const entry = await historyOf(custom, ran.body.prompt_id as string);
    expect(entry.status.status_str).toBe('success');
    const refused = await postPrompt(plain, prompt);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ type: 'invalid_prompt', message: 'Cannot execute because node SimImageTint does not exist.', details: "Node ID '#10'" });
  });

  it('/view_metadata answers a safetensors header\'s __metadata__, else an empty 404', async () => {
    expect(await getJson(plain, '/view_metadata/checkpoints?filename=sd_xl_base_1.0.safetensors')).toMatchObject({ 'modelspec.architecture': 'stable-diffusion-xl-v1-base' });
    for (const q of ['checkpoints?filename=v1-5-pruned-emaonly.safetensors', 'checkpoints?filename=nope.safetensors', 'checkpoints', 'loras?filename=add_detail.ckpt']) {
      const res = await fetch(`${plain.url}/view_metadata/${q}`);
      expect([q, res.status, await res.text()]).toEqual([q, 404, '']);
    }
  });
});
