// Enqueue → ComfyUI submit latency (DESIGN §9), side by side with its anchor:
// a bare pg-boss send → handler start with LISTEN/NOTIFY on the same Postgres. The start time is the
// stand-in's own record of when it began the prompt (no polling while measuring).
//   node bench/enqueue-to-submit.ts            (BENCH_N=200)
import { PgBoss } from 'pg-boss';
import { createPool } from '#shared/db/pool.ts';
import { enqueueGeneration } from '#shared/generation/enqueue.ts';
import { startComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim } from '#sim/discord/index.ts';
import { freshDatabase } from './lib/database.ts';
import { newGenerationFor, schedulerEnvFor, startBenchScheduler, until } from './lib/stack.ts';
import { formatSummary, summarize } from './lib/stats.ts';

const n = Number(process.env.BENCH_N ?? 200);

async function anchor(url: string): Promise<number[]> {
  const boss = new PgBoss({ connectionString: url, schema: 'anchor', useListenNotify: true });
  boss.on('error', () => {});
  await boss.start();
  await boss.createQueue('anchor', { notify: true });
  const samples: number[] = [];
  let resolveOne: (() => void) | undefined;
  await boss.work('anchor', { batchSize: 1, pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 0.5 }, async ([job]) => {
    samples.push(performance.timeOrigin + performance.now() - (job!.data as { t: number }).t);
    resolveOne?.();
  });
  for (let i = 0; i < n; i++) {
    const done = new Promise<void>((r) => (resolveOne = r));
    await boss.send('anchor', { t: performance.timeOrigin + performance.now() });
    await done;
  }
  await boss.stop({ graceful: false });
  return samples;
}

async function ours(url: string): Promise<number[]> {
  const discord = await startDiscordSim();
  const comfy = await startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0.001 });
  const scheduler = await startBenchScheduler(await schedulerEnvFor(url, discord, [comfy.url]));
  const pool = createPool(url);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    // Event-driven: the stand-in records when it starts the prompt; nothing polls while we measure.
    const started = comfy.waitFor('execution_start', undefined, 30_000);
    const t0 = Date.now();
    const { generation } = await enqueueGeneration(pool, scheduler.boss, newGenerationFor(discord, `1000000000000${String(i).padStart(5, '0')}`) as never);
    await started;
    const execution = comfy.executions.at(-1)!;
    samples.push(execution.startedAt - t0);
    // Outside the measurement: let it settle before the next one, so each starts on an idle GPU.
    await until(async () => (await pool.query('select status from generation where id = $1', [generation.id])).rows[0].status === 'succeeded', 60_000, 20);
    const row = (await pool.query('select comfy_prompt_id from generation where id = $1', [generation.id])).rows[0];
    if (row.comfy_prompt_id !== execution.promptId) throw new Error('the prompt started was not the one just enqueued');
  }
  await scheduler.stop({ graceful: false });
  await pool.end();
  await comfy.close();
  await discord.close();
  return samples;
}

const db = await freshDatabase('genonaut_bench_latency');
try {
  const a = summarize(await anchor(db.url));
  const o = summarize(await ours(db.url));
  console.log(`enqueue → submit, ${n} sequential requests, idle GPU (ms)`);
  console.log(formatSummary('anchor: pg-boss send → handler', a));
  console.log(formatSummary('genonaut: enqueue → ComfyUI start', o));
  const ratio = o.p50 / a.p50;
  console.log(`ratio p50 ${ratio.toFixed(2)}×, p95 ${(o.p95 / a.p95).toFixed(2)}× (goal p50 ≤ 2×: ${ratio <= 2 ? 'met' : 'NOT met'})`);
} finally {
  await db.drop();
}
process.exit(0);
