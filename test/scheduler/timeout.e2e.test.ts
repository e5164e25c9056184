import { describe, expect, test } from 'vitest';
import { schedulerForFile } from '../support/scheduler-world.ts';

const world = schedulerForFile({ comfy: { models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0.5 }, env: () => ({ GENERATION_TIMEOUT_SECONDS: '2' }) });

describe('time budget', () => {
  test('a generation over its budget fails with a reason saying what to change, and ComfyUI stops it', async () => {
    const { generation } = await world.h.enqueue({ steps: 20 });
    const failed = await world.h.waitFor(generation.id, ['failed'], { delivered: true, timeoutMs: 10_000 });
    expect(failed.errorCode).toBe('timeout');
    expect(failed.errorMessage).toMatch(/fewer steps|smaller/);
    await world.comfy.waitFor('idle', undefined, 5000);
    expect(world.comfy.executions.find((e) => e.promptId === failed.comfyPromptId)?.status).toBe('interrupted');
  });
});
