// GPU idle gap between back-to-back jobs and utilisation (DESIGN §9), side by side with its anchor:
// the same stand-in fed directly, every prompt queued up front.
// Measured at two per-instance queue depths: 2 (the default: the next prompt already waits inside
// ComfyUI, so the gap shows whether we keep it topped up) and 1 (nothing waits inside ComfyUI, so
// every gap is our own hand-off: result seen → slot freed → next request placed → submitted).
// Exits non-zero when either depth misses the goal.
//   node bench/gpu-idle.ts        (BENCH_INSTANCES=2 BENCH_JOBS_PER_INSTANCE=10 BENCH_STEP_SECONDS=0.1 BENCH_STEPS=20 → 2 s jobs)
import { randomUUID } from 'node:crypto';
import { ComfyClient, buildTxt2Img } from '#shared/comfyui/index.ts';
import { createPool } from '#shared/db/pool.ts';
import { enqueueGeneration } from '#shared/generation/enqueue.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim } from '#sim/discord/index.ts';
import { freshDatabase } from './lib/database.ts';
import { promptGaps } from './lib/gpu-time.ts';
import { benchLogger, newGenerationFor, schedulerEnvFor, startBenchScheduler, until } from './lib/stack.ts';
import { formatSummary, summarize } from './lib/stats.ts';

const instances = Number(process.env.BENCH_INSTANCES ?? 2);
const perInstance = Number(process.env.BENCH_JOBS_PER_INSTANCE ?? 10);
const stepSeconds = Number(process.env.BENCH_STEP_SECONDS ?? 0.1);
const steps = Number(process.env.BENCH_STEPS ?? 20);

function gapsAndUtilisation(sims: ComfySim[]) {
  const gaps: number[] = [];
  let busy = 0;
  let span = 0;
  for (const sim of sims) {
    const { runs, gaps: between } = promptGaps(sim.executions);
    gaps.push(...between);
    busy += runs.reduce((sum, [start, end]) => sum + (end - start), 0);
    span += runs.at(-1)![1] - runs[0]![0];
  }
  return { gaps: summarize(gaps), utilisation: busy / span };
}

async function startSims(): Promise<ComfySim[]> {
  return Promise.all(Array.from({ length: instances }, () => startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: stepSeconds })));
}

const graph = (i: number) =>
  buildTxt2Img({ checkpoint: 'base.safetensors', loras: [], prompt: `anchor ${i}`, negativePrompt: '', width: 64, height: 64, batchSize: 1, seed: String(i), steps, cfg: 7, sampler: 'euler', scheduler: 'normal', denoise: 1, filenamePrefix: `anchor/${i}` });

async function anchor() {
  const sims = await startSims();
  await Promise.all(
    sims.map(async (sim, s) => {
      const client = new ComfyClient({ baseUrl: sim.url, logger: benchLogger });
      for (let i = 0; i < perInstance; i++) await client.submit(graph(s * 1000 + i), { promptId: randomUUID() });
      await until(() => sim.executions.filter((e) => e.finishedAt).length === perInstance, 600_000, 20);
      await client.close();
    }),
  );
  const result = gapsAndUtilisation(sims);
  await Promise.all(sims.map((s) => s.close()));
  return result;
}

async function ours(url: string, depth: number) {
  const sims = await startSims();
  const discord = await startDiscordSim();
  // The worker count follows the farm's slots when the scheduler starts, before the depth below is
  // set: give it the slots of this depth, as a scheduler started at that depth would have.
  const env = { ...(await schedulerEnvFor(url, discord, sims.map((s) => s.url))), SCHEDULER_GENERATE_CONCURRENCY: String(Math.max(2, instances * depth)) };
  const scheduler = await startBenchScheduler(env);
  const pool = createPool(url);
  await pool.query(`update comfy_instance set max_queue_depth = $1`, [depth]);
  const total = instances * perInstance;
  for (let i = 0; i < total; i++) {
    await enqueueGeneration(pool, scheduler.boss, newGenerationFor(discord, `1000000000000${String(i).padStart(5, '0')}`, { steps }) as never);
  }
  await until(async () => (await pool.query(`select count(*)::int as n from generation where status = 'succeeded'`)).rows[0].n === total, 600_000, 50);
  const result = gapsAndUtilisation(sims);
  await scheduler.stop({ graceful: false });
  await pool.end();
  await Promise.all([...sims.map((s) => s.close()), discord.close()]);
  return result;
}

const goals = { gapMs: 50, utilisation: 0.98 };
let missed = false;
const a = await anchor();
console.log(`GPU idle gap between back-to-back jobs: ${instances} instances × ${perInstance} jobs of ${(steps * stepSeconds).toFixed(1)} s`);
console.log(formatSummary('anchor: stand-in fed directly', a.gaps));
console.log(`anchor utilisation ${(a.utilisation * 100).toFixed(2)} %`);
for (const depth of [2, 1]) {
  const db = await freshDatabase(`genonaut_bench_gpu_idle_${depth}`);
  try {
    const o = await ours(db.url, depth);
    const met = o.gaps.max < goals.gapMs && o.utilisation >= goals.utilisation;
    missed ||= !met;
    console.log(formatSummary(`genonaut, queue depth ${depth}`, o.gaps));
    console.log(`  utilisation ${(o.utilisation * 100).toFixed(2)} % (goal ≥ ${goals.utilisation * 100} %, every gap < ${goals.gapMs} ms): ${met ? 'met' : 'NOT met'}`);
  } finally {
    await db.drop();
  }
}
process.exit(missed ? 1 : 0);
