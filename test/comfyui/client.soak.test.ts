import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simVersions, startComfySim } from '#sim/comfyui/index.ts';
import { AppError } from '#shared/errors.ts';
import { buildTxt2Img, ComfyClient, type PromptOutcome } from '#shared/comfyui/index.ts';
import { txt2imgParams } from './fixtures.ts';
import { LogTap } from './log-tap.ts';

type Sim = Awaited<ReturnType<typeof startComfySim>>;

type JobResult = { job: number; promptIds: string[]; final: PromptOutcome | { status: 'failed'; reason: string } };

describe.each(simVersions)('20 jobs through faults against the %s stand-in', (version) => {
  let sim: Sim;
  let client: ComfyClient;

  beforeAll(async () => {
    sim = await startComfySim({ models: { checkpoints: ['a.safetensors'], loras: ['l.safetensors'] }, secondsPerStep: 0.002, version });
    client = new ComfyClient({ baseUrl: sim.url, logger: new LogTap().logger, retries: 8, timeoutMs: 2_000, backoff: { baseMs: 20, maxMs: 200 } });
  });
  afterAll(async () => {
    await client?.close();
    await sim?.close();
  });

  /** What a scheduler would do: submit with a fresh id, follow, resubmit only when ComfyUI lost it. */
  async function runJob(job: number): Promise<JobResult> {
    const promptIds: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const promptId = randomUUID();
      promptIds.push(promptId);
      try {
        await client.submit(buildTxt2Img(txt2imgParams({ checkpoint: 'a.safetensors', steps: 6, seed: String(job * 1000 + attempt), filenamePrefix: `soak/${job}` })), { promptId });
      } catch (err) {
        return { job, promptIds, final: { status: 'failed', reason: (err as AppError).message } };
      }
      const outcome = await client.followPrompt(promptId, { pollIntervalMs: 100, timeoutMs: 25_000 });
      if (outcome.status !== 'unknown') return { job, promptIds, final: outcome };
    }
    return { job, promptIds, final: { status: 'failed', reason: 'lost three times' } };
  }

  it('ends every job collected once or failed with a reason, never lost, never run twice', async () => {
    sim.failNextRequests(3, { status: 500, pathPrefix: '/prompt' });
    sim.oomNext(2);
    sim.dropSockets({ afterProgressEvents: 4 });
    const jobs = Array.from({ length: 20 }, (_, i) => runJob(i));
    // A crash that keeps history, in the middle of the run.
    await sim.waitFor('execution_success', undefined, 10_000);
    await sim.crash({ keepHistory: true });
    await sim.restart();
    // Reconciling after the restart: history on 0.3.64, the jobs API on 0.38.
    sim.failNextRequests(2, { status: 503, pathPrefix: version === '0.38' ? '/api/jobs' : '/history' });
    const results = await Promise.all(jobs);

    expect(results).toHaveLength(20);
    for (const r of results) {
      const f = r.final;
      if (f.status === 'success') expect(f.images.length, `job ${r.job}`).toBeGreaterThan(0);
      else if (f.status === 'error') expect(f.error.message, `job ${r.job}`).toMatch(/\S/);
      else if (f.status === 'failed') expect(f.reason).toMatch(/\S/);
      else throw new Error(`job ${r.job} ended ${f.status}`);
    }
    const successes = results.filter((r) => r.final.status === 'success');
    expect(successes.length).toBeGreaterThanOrEqual(15);
    expect(results.filter((r) => r.final.status === 'error' && r.final.error.code === 'out_of_memory')).toHaveLength(2);

    // The crash really lost work, and those jobs were resubmitted under new ids.
    expect(sim.executions.some((e) => e.status === 'lost') || results.some((r) => r.promptIds.length > 1)).toBe(true);

    const runs = new Map<string, number>();
    for (const e of sim.executions) runs.set(e.promptId, (runs.get(e.promptId) ?? 0) + 1);
    for (const [id, n] of runs) expect(n, `prompt ${id} executed ${n} times`).toBe(1);
    // Each successful job's final prompt ran exactly once.
    for (const r of successes) expect(runs.get(r.promptIds.at(-1)!)).toBe(1);
  });
});
