// Enqueue → ComfyUI submit latency (DESIGN §9), side by side with its anchor: a bare pg-boss send →
// handler start with LISTEN/NOTIFY on the same Postgres. The start time is the stand-in's own record
// of when it began the prompt (no polling while measuring). Anchor and genonaut samples alternate
// one by one, so load from other work on the machine falls on both alike.
//   node bench/enqueue-to-submit.ts                      (BENCH_N=200)
//   BENCH_WAITING=50000 node bench/enqueue-to-submit.ts  (the same with 0, then 50 000 requests waiting
//     that no instance can run: from 1 000 other members, 50 each, for a model only an absent server has)
import type pg from 'pg';
import { PgBoss } from 'pg-boss';
import { createPool } from '#shared/db/pool.ts';
import { enqueueGeneration } from '#shared/generation/enqueue.ts';
import { startComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim } from '#sim/discord/index.ts';
import { freshDatabase } from './lib/database.ts';
import { newGenerationFor, schedulerEnvFor, startBenchScheduler, until } from './lib/stack.ts';
import { formatSummary, summarize, type Summary } from './lib/stats.ts';

const n = Number(process.env.BENCH_N ?? 200);
const waitingLine = Number(process.env.BENCH_WAITING ?? 0);

interface Anchor {
  once(): Promise<number>;
  stop(): Promise<void>;
}

async function startAnchor(url: string): Promise<Anchor> {
  const boss = new PgBoss({ connectionString: url, schema: 'anchor', useListenNotify: true });
  boss.on('error', () => {});
  await boss.start();
  await boss.createQueue('anchor', { notify: true });
  let resolveOne: ((ms: number) => void) | undefined;
  await boss.work('anchor', { batchSize: 1, pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 0.5 }, async ([job]) => {
    resolveOne?.(performance.timeOrigin + performance.now() - (job!.data as { t: number }).t);
  });
  return {
    async once() {
      const done = new Promise<number>((r) => (resolveOne = r));
      await boss.send('anchor', { t: performance.timeOrigin + performance.now() });
      return done;
    },
    stop: () => boss.stop({ graceful: false }),
  };
}

/** `waiting` requests from 1 000 other members (priority −k for each one's k-th) for a checkpoint only a server that is not there has. */
async function seedWaitingLine(pool: pg.Pool, waiting: number): Promise<void> {
  await pool.query(`insert into model (kind, file_name, display_name, source, instance_ids) values ('checkpoint', 'elsewhere.safetensors', 'Elsewhere', 'manual', '[999999]')`);
  await pool.query(
    `insert into generation (id, user_id, guild_id, channel_id, application_id, interaction_id, prompt, negative_prompt, checkpoint,
       loras, width, height, batch_size, seed, steps, cfg, sampler, scheduler, denoise, workflow_template, status, progress, attempts,
       outputs, queue_priority, created_at, updated_at)
     select gen_random_uuid(), (700000000000000000 + k % 1000)::text, g.guild_id, g.channel_id, g.application_id, (800000000000000000 + k)::text,
       'waiting ' || k, '', 'elsewhere.safetensors', '[]'::jsonb, 512, 512, 1, k, 20, 7, 'euler', 'normal', 1, 'txt2img', 'queued', 0, 0,
       '[]'::jsonb, -(k / 1000), now() - interval '1 hour' + make_interval(secs => k / 1000.0), now()
     from generate_series(0, $1::int - 1) as k, (select guild_id, channel_id, application_id from generation limit 1) g`,
    [waiting],
  );
  await pool.query(`insert into queue_waiting (shard, waiting) values (0, $1) on conflict (shard) do update set waiting = queue_waiting.waiting + excluded.waiting`, [waiting]);
  await pool.query('analyze generation');
}

interface Round {
  anchor: Summary;
  enqueue: Summary;
  total: Summary;
}

const db = await freshDatabase('genonaut_bench_latency');
try {
  const anchor = await startAnchor(db.url);
  const discord = await startDiscordSim();
  const comfy = await startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0.001 });
  const scheduler = await startBenchScheduler(await schedulerEnvFor(db.url, discord, [comfy.url]));
  const pool = createPool(db.url);
  let next = 0;
  const round = async (): Promise<Round> => {
    const a: number[] = [];
    const enq: number[] = [];
    const total: number[] = [];
    for (let i = 0; i < n; i++) {
      a.push(await anchor.once());
      // Event-driven: the stand-in records when it starts the prompt; nothing polls while we measure.
      const started = comfy.waitFor('execution_start', undefined, 30_000);
      const t0 = performance.timeOrigin + performance.now();
      const { generation } = await enqueueGeneration(pool, scheduler.boss, newGenerationFor(discord, `1000000000000${String(next++).padStart(5, '0')}`) as never);
      enq.push(performance.timeOrigin + performance.now() - t0);
      await started;
      const execution = comfy.executions.at(-1)!;
      total.push(execution.startedAt - t0);
      // Outside the measurement: let it settle before the next one, so each starts on an idle GPU.
      await until(async () => (await pool.query('select status from generation where id = $1', [generation.id])).rows[0].status === 'succeeded', 60_000, 20);
      const row = (await pool.query('select comfy_prompt_id from generation where id = $1', [generation.id])).rows[0];
      if (row.comfy_prompt_id !== execution.promptId) throw new Error('the prompt started was not the one just enqueued');
    }
    return { anchor: summarize(a), enqueue: summarize(enq), total: summarize(total) };
  };
  const rounds: [number, Round][] = [[0, await round()]];
  if (waitingLine > 0) {
    await seedWaitingLine(pool, waitingLine);
    rounds.push([waitingLine, await round()]);
  }
  await scheduler.stop({ graceful: false });
  await pool.end();
  await anchor.stop();
  await comfy.close();
  await discord.close();

  console.log(`enqueue → submit, ${n} sequential requests, idle GPU (ms; anchor and genonaut alternate)`);
  for (const [waiting, r] of rounds) {
    console.log(`-- ${waiting} requests waiting`);
    console.log(formatSummary('anchor: pg-boss send → handler', r.anchor));
    console.log(formatSummary('genonaut: enqueue step', r.enqueue));
    console.log(formatSummary('genonaut: enqueue → ComfyUI start', r.total));
    const ratio = r.total.p50 / r.anchor.p50;
    console.log(`ratio p50 ${ratio.toFixed(2)}×, p95 ${(r.total.p95 / r.anchor.p95).toFixed(2)}× (goal p50 ≤ 2×: ${ratio <= 2 ? 'met' : 'NOT met'})`);
  }
  if (rounds.length === 2) {
    const [empty, full] = [rounds[0]![1], rounds[1]![1]];
    const flat = (x: number, y: number) => y <= Math.max(1.25 * x, x + 1);
    console.log(`with ${waitingLine} waiting vs none: enqueue step p50 ${empty.enqueue.p50.toFixed(1)} → ${full.enqueue.p50.toFixed(1)} ms, ` +
      `enqueue → start p50 ${empty.total.p50.toFixed(1)} → ${full.total.p50.toFixed(1)} ms ` +
      `(goal flat, within 25 % or 1 ms: ${flat(empty.enqueue.p50, full.enqueue.p50) && flat(empty.total.p50, full.total.p50) ? 'met' : 'NOT met'})`);
  }
} finally {
  await db.drop();
}
process.exit(0);
