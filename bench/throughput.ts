// Generations per second through one scheduler, its CPU and SQL statements per generation
// (issue #14), beside anchors measured in the same run: the stand-ins fed directly by a bare script
// doing the same job per request (rate: follow, download, store, thumbnails, reply with the image;
// bench/lib/bare-pipeline.ts), and a bare pg-boss worker taking and completing the same number of
// jobs (CPU, statements). The stand-ins fed submits alone (no outputs handled) are printed beside. The
// scheduler and the anchor worker run as child processes with every pg query counted
// (bench/lib/count-queries.ts); a generation's count covers placing, running, storing, the
// thumbnail and the delivery, up to the last of these jobs (its generate job included) completing.
// The bare script runs before and after ours; its rate is the mean of the two.
// BENCH_CPU_PROF=<dir> writes a CPU profile of the scheduler there; BENCH_TIMELINE=1 prints what happened
// in each quarter second of our run (made, started, ended, replied, thumbnails). Exits 1 when a goal is missed.
//   node bench/throughput.ts     (BENCH_N=600 BENCH_WARMUP=100 BENCH_INSTANCES=4 BENCH_DEPTH=2 BENCH_USERS=100; BENCH_REPLIES=0: requests without a reply, see deferredRequests)
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { ComfyClient, buildTxt2Img } from '#shared/comfyui/index.ts';
import { createPool } from '#shared/db/pool.ts';
import { seedInstances } from '#shared/db/sql/instances.ts';
import { GenerationEnqueuer } from '#shared/generation/enqueuer.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim } from '#sim/discord/index.ts';
import { PgBoss } from 'pg-boss';
import type pg from 'pg';
import { spawnCounted, type Counters } from './lib/counted-child.ts';
import { promptGaps } from './lib/gpu-time.ts';
import { machineCpu, watchPostgres } from './lib/host-load.ts';
import { summarize } from './lib/stats.ts';
import { freshDatabase } from './lib/database.ts';
import { deferredImagines, deferredRequests } from './lib/deferred-imagine.ts';
import { runBarePipeline } from './lib/bare-pipeline.ts';
import { benchLogger, removeAtExit, schedulerEnvFor, until } from './lib/stack.ts';

const n = Number(process.env.BENCH_N ?? 600);
// Run through each side before it is measured, so that both are measured warm (code compiled by
// V8, pools and connections open) as a scheduler that has been running is.
const warmup = Number(process.env.BENCH_WARMUP ?? 100);
const instances = Number(process.env.BENCH_INSTANCES ?? 4);
const depth = Number(process.env.BENCH_DEPTH ?? 2);
const users = Number(process.env.BENCH_USERS ?? 100);
const goals = { share: 0.8, cpuMs: 5, statements: 10 };

const startSims = (): Promise<ComfySim[]> =>
  Promise.all(Array.from({ length: instances }, () => startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0 })));

const graph = (i: number, prompt = `anchor ${i}`, seed = String(i)) =>
  buildTxt2Img({ checkpoint: 'base.safetensors', loras: [], prompt, negativePrompt: '', width: 64, height: 64, batchSize: 1, seed, steps: 4, cfg: 7, sampler: 'euler', scheduler: 'normal', denoise: 1, filenamePrefix: `anchor/${i}` });

/**
 * The anchor for the rate: the same job per request (the same deferred /imagines, the same image,
 * thumbnails and reply) done by a bare script feeding the stand-ins directly, `depth` prompts per
 * instance as ours; from the first submit until every reply is edited and every thumbnail stored.
 */
async function sameJobDirect(): Promise<{ rate: number; ownCpuMs: number }> {
  const sims = await startSims();
  const discord = await startDiscordSim();
  const dir = removeAtExit(await mkdtemp(path.join(tmpdir(), 'gn-bench-bare-')));
  const requests = (await deferredImagines(discord, warmup + n, users)).map(({ token }, i) => (
    { graph: graph(i, `bench ${i}`, String(i)), prompt: `bench ${i}`, applicationId: discord.applicationId, interactionToken: token }));
  if (warmup > 0) await runBarePipeline(sims.map((s) => s.url), depth, requests.slice(0, warmup), discord, dir);
  const cpu = process.cpuUsage();
  const { seconds } = await runBarePipeline(sims.map((s) => s.url), depth, requests.slice(warmup), discord, dir);
  const own = process.cpuUsage(cpu);
  const edited = discord.messages(discord.defaultGuild!.channels[0]!.id).filter((m) => m.attachments.length > 0).length;
  if (edited !== warmup + n) throw new Error(`the bare script edited ${edited} of ${warmup + n} replies with an image`);
  await Promise.all([...sims.map((s) => s.close()), discord.close()]);
  return { rate: n / seconds, ownCpuMs: (own.user + own.system) / 1000 / n };
}

/** The stand-ins fed submits alone (nothing done with the outputs): every prompt queued up front, spread over the instances. */
async function direct(): Promise<number> {
  const sims = await startSims();
  const started = Date.now();
  await Promise.all(
    sims.map(async (sim, s) => {
      const client = new ComfyClient({ baseUrl: sim.url, logger: benchLogger });
      const mine = Math.ceil(n / instances);
      for (let i = 0; i < mine; i++) await client.submit(graph(s * 100_000 + i), { promptId: randomUUID() });
      await until(() => sim.executions.filter((e) => e.finishedAt).length === mine, 600_000, 10);
      await client.close();
    }),
  );
  const rate = (Math.ceil(n / instances) * instances) / ((Date.now() - started) / 1000);
  await Promise.all(sims.map((s) => s.close()));
  return rate;
}

const perJob = (before: Counters, after: Counters) => ({ cpuMs: (after.cpuMs - before.cpuMs) / n, statements: (after.statements - before.statements) / n });

async function bareBoss(url: string) {
  const worker = await spawnCounted('bench/lib/bare-boss-worker.ts', { DATABASE_URL: url, ANCHOR_CONCURRENCY: String(instances * depth) }, 'anchor worker ready');
  const boss = new PgBoss({ connectionString: url, schema: 'anchor' });
  boss.on('error', () => {});
  await boss.start();
  const pool = createPool(url);
  const before = await worker.counters();
  await boss.insert('anchor', Array.from({ length: n }, (_, i) => ({ data: { i } })));
  await until(async () => (await pool.query(`select count(*)::int as n from anchor.job where name = 'anchor' and state = 'completed'`)).rows[0].n === n, 600_000, 20);
  const result = perJob(before, await worker.counters());
  await worker.stop();
  await boss.stop({ graceful: false });
  await pool.end();
  return result;
}

async function ours(url: string) {
  const sims = await startSims();
  const discord = await startDiscordSim();
  const pool = createPool(url);
  const seed = seedInstances(sims.map((s) => s.url));
  await pool.query(seed.text, seed.values);
  await pool.query('update comfy_instance set max_queue_depth = $1', [depth]);
  const scheduler = await spawnCounted('scheduler/main.ts', { ...(await schedulerEnvFor(url, discord, sims.map((s) => s.url))), LOG_LEVEL: 'info' }, 'scheduler started');
  // Let the startup model discovery finish so that it is not counted against the generations.
  await until(async () => (await pool.query(`select count(*)::int as n from model where available`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n >= 1, 30_000, 50);
  await new Promise((r) => setTimeout(r, 2000));
  const producer = await startBoss(url, { supervise: false });
  producer.on('error', () => {});
  // Each request a deferred /imagine as the bot leaves it (BENCH_REPLIES=0: without a reply, see deferredRequests).
  const inputs = await deferredRequests(discord, warmup + n, users);
  const enqueuer = new GenerationEnqueuer(pool, producer);
  const settled = async (count: number) =>
    (await pool.query(`select count(*)::int as n from generation where delivered_at is not null`)).rows[0].n === count &&
    (await pool.query(`select count(*)::int as n from pgboss.job where name in ('generate', 'thumbnail', 'deliver') and state < 'completed'`)).rows[0].n === 0;
  await Promise.all(inputs.slice(0, warmup).map((input) => enqueuer.enqueue(input as never)));
  await until(() => settled(warmup), 300_000, 250);
  const before = await scheduler.counters();
  const load = { machine: machineCpu(), own: process.cpuUsage(), pg: await watchPostgres(url, new URL(url).pathname.slice(1)) };
  const comfyBefore = comfyRequests(sims);
  const enqueueStarted = new Date();
  await Promise.all(inputs.slice(warmup).map((input) => enqueuer.enqueue(input as never)));
  // Polled every 250 ms: the poll's own statements run on Postgres beside ours and are counted in
  // its CPU; the rate comes from the rows' timestamps, not from when this notices the end.
  await until(() => settled(warmup + n), 300_000, 250);
  const after = await scheduler.counters();
  const counted = perJob(before, after);
  const comfy = comfyRequestsPerJob(comfyBefore, comfyRequests(sims));
  if (process.env.BENCH_COUNT_TOP) console.log((after as Counters & { top: unknown[] }).top.map((t) => JSON.stringify(t)).join('\n'));
  if (process.env.BENCH_THREADS) console.log(threadsPerJob(before, after));
  const machine = machineCpu();
  const own = process.cpuUsage(load.own);
  const pgLoad = await load.pg.stop();
  if (process.env.BENCH_GAPS) console.log(gapsBetweenPrompts(sims));
  if (process.env.BENCH_TIMELINE) console.log(await timeline(pool, enqueueStarted));
  const busy = (machine.busyMs - load.machine.busyMs) / (machine.totalMs - load.machine.totalMs);
  const span = (await pool.query<{ s: number; ok: number; endToEnd: number; lastReply: number }>(
    `select extract(epoch from max(finished_at) - min(started_at)) as s, count(*) filter (where status = 'succeeded')::int as ok,
       extract(epoch from greatest(max(delivered_at), (select max(completed_on) from pgboss.job where name = 'thumbnail')) - $1) as "endToEnd",
       extract(epoch from max(delivered_at) - $1) as "lastReply"
     from generation where created_at >= $1`,
    [enqueueStarted],
  )).rows[0]!;
  await scheduler.stop();
  await producer.stop({ graceful: false });
  await pool.end();
  await Promise.all([...sims.map((s) => s.close()), discord.close()]);
  return { rate: n / Number(span.endToEnd), gpuSpanRate: n / Number(span.s), lastReplySeconds: Number(span.lastReply), endToEndSeconds: Number(span.endToEnd), succeeded: span.ok, ...counted, comfy, standInsCpuMs: (own.user + own.system) / 1000 / n, postgresCpuMs: pgLoad.backendCpuMs / n, busy };
}

/** Per quarter second since `since`: requests made, prompts started and ended, replies posted, thumbnail jobs completed. */
async function timeline(pool: pg.Pool, since: Date): Promise<string> {
  const { rows } = await pool.query<{ t: number; what: string; n: number }>(
    `with at as (
        select 'made' as what, created_at as ts from generation where created_at >= $1
        union all select 'started', started_at from generation where created_at >= $1
        union all select 'ended', finished_at from generation where created_at >= $1
        union all select 'replied', delivered_at from generation where created_at >= $1
        union all select 'thumbnails', completed_on from pgboss.job where name = 'thumbnail' and created_on >= $1)
      select floor(extract(epoch from ts - $1) * 4) / 4 as t, what, count(*)::int as n from at where ts is not null group by 1, 2 order by 1`,
    [since],
  );
  const byQuarter = new Map<number, Map<string, number>>();
  for (const r of rows) byQuarter.set(Number(r.t), (byQuarter.get(Number(r.t)) ?? new Map<string, number>()).set(r.what, r.n));
  const kinds = ['made', 'started', 'ended', 'replied', 'thumbnails'];
  return [...byQuarter].map(([t, n]) => `t=${t.toFixed(2)} s  ${kinds.map((k) => `${k} ${n.get(k) ?? 0}`).join('  ')}`).join('\n');
}

/** How long each stand-in had nothing to run between one prompt's end and the next one's start. */
function gapsBetweenPrompts(sims: ComfySim[]): string {
  const gaps = sims.flatMap((sim) => promptGaps(sim.executions).gaps);
  const s = summarize(gaps);
  return `gaps between prompts on a stand-in: p50 ${s.p50} ms, p95 ${s.p95} ms, p99 ${s.p99} ms, zero ${gaps.filter((g) => g === 0).length}/${gaps.length}`;
}

type ThreadCpu = Record<string, { user: number; system: number }>;
/** CPU ms per generation by thread name (main thread, libuv pool, libvips, …), user + system. */
function threadsPerJob(before: Counters, after: Counters): string {
  const [a, b] = [(before as Counters & { threads: ThreadCpu }).threads, (after as Counters & { threads: ThreadCpu }).threads];
  return Object.entries(b)
    .map(([name, t]) => ({ name, user: (t.user - (a[name]?.user ?? 0)) / n, system: (t.system - (a[name]?.system ?? 0)) / n }))
    .filter((t) => t.user + t.system > 0)
    .sort((x, y) => y.user + y.system - (x.user + x.system))
    .map((t) => `  ${t.name.padEnd(16)} user ${t.user.toFixed(2)} ms  system ${t.system.toFixed(2)} ms`)
    .join('\n');
}

/**
 * Every process of this bench shares the machine's cores: the CPU a generation costs everywhere
 * (stand-ins, scheduler, Postgres) bounds the rate, whatever the scheduler's own latency. Prints
 * that cost beside the direct run's (the stand-ins, Discord and the bare script), and what the goal's
 * rate would leave for the scheduler and Postgres together.
 */
function cpuBudget(directRate: number, directCpuMs: number, o: { standInsCpuMs: number; cpuMs: number; postgresCpuMs: number; busy: number }): string {
  const cores = availableParallelism();
  const total = o.standInsCpuMs + o.cpuMs + o.postgresCpuMs;
  const goalRate = goals.share * directRate;
  const f = (v: number) => v.toFixed(1);
  return `CPU per generation, all processes (${cores} cores): direct run ${f(directCpuMs)} ms (stand-ins, Discord and the bare script); genonaut run ${f(total)} ms = ` +
    `stand-ins & Discord & enqueue ${f(o.standInsCpuMs)} + scheduler ${f(o.cpuMs)} + Postgres backends ${f(o.postgresCpuMs)}, machine ${(o.busy * 100).toFixed(0)} % busy ` +
    `→ at most ${f((cores * 1000) / total)}/s with every core busy; ${f(goalRate)}/s would leave ${f((cores * 1000) / goalRate - o.standInsCpuMs)} ms for scheduler and Postgres together`;
}

/** HTTP requests the stand-ins received, by `METHOD /route`, summed over the instances. */
function comfyRequests(sims: ComfySim[]): Map<string, number> {
  const sum = new Map<string, number>();
  for (const sim of sims) for (const [kind, count] of sim.requestCounts) sum.set(kind, (sum.get(kind) ?? 0) + count);
  return sum;
}

function comfyRequestsPerJob(before: Map<string, number>, after: Map<string, number>) {
  const byKind = [...after].map(([kind, count]) => [kind, (count - (before.get(kind) ?? 0)) / n] as const).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
  return { total: byKind.reduce((t, [, v]) => t + v, 0), byKind };
}

// BENCH_DB_NAME: a database of its own when several runs share one server.
const db = await freshDatabase(process.env.BENCH_DB_NAME ?? 'genonaut_bench_throughput');
try {
  const submitsAlone = await direct();
  // The bare script runs before and after ours and the two are averaged: this machine's speed drifts
  // by a third within a minute, and one anchor run beside one of ours made the ratio swing with it.
  const before = await sameJobDirect();
  const anchor = await bareBoss(db.url);
  const o = await ours(db.url);
  const after = await sameJobDirect();
  const directRate = (before.rate + after.rate) / 2;
  const directCpuMs = (before.ownCpuMs + after.ownCpuMs) / 2;
  const f = (v: number) => v.toFixed(1);
  console.log(`throughput: ${n} generations from ${users} members, ${instances} stand-ins at 0 s/step, depth ${depth} (${instances * depth} slots)`);
  console.log(`generations/s        anchor (stand-ins fed directly by a bare script doing the same job) ${f(directRate)}/s (run before ours ${f(before.rate)}/s, after ${f(after.rate)}/s)   genonaut ${f(o.rate)}/s = ${f((o.rate / directRate) * 100)} % (goal ≥ ${goals.share * 100} %)`);
  console.log(`                     (both from the first request to the last reply and thumbnail stored; the stand-ins fed submits alone ${f(submitsAlone)}/s, genonaut's span of ComfyUI runs ${f(o.gpuSpanRate)}/s = ${f((o.gpuSpanRate / submitsAlone) * 100)} % of that; genonaut's last reply ${f(o.lastReplySeconds)} s and last thumbnail ${f(o.endToEndSeconds)} s after the first request)`);
  console.log(`CPU per generation   anchor (bare pg-boss job) ${anchor.cpuMs.toFixed(2)} ms   genonaut scheduler ${o.cpuMs.toFixed(2)} ms (goal ≤ ${goals.cpuMs} ms)`);
  console.log(`SQL per generation   anchor (bare pg-boss job) ${f(anchor.statements)}   genonaut scheduler ${f(o.statements)} (goal ≤ ${goals.statements})`);
  console.log(`ComfyUI HTTP requests per generation   ${o.comfy.total.toFixed(2)} (${o.comfy.byKind.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')})`);
  console.log(cpuBudget(directRate, directCpuMs, o));
  const met = o.succeeded === n && o.rate >= goals.share * directRate && o.cpuMs <= goals.cpuMs && o.statements <= goals.statements;
  console.log(`goals: ${met ? 'met' : 'NOT met'}${o.succeeded === n ? '' : ` (${n - o.succeeded} did not succeed)`}`);
  if (!met) process.exitCode = 1;
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await db.drop();
}
process.exit();
