// Scale-out (issue #14): one, two and four scheduler PROCESSES on one database, the same burst of
// generations each time; generations/s for each and the ratio to one process (goals: ≥ 1.6× with
// two, ≥ 2.5× with four), SQL statements per generation (all scheduler processes), fair order and
// exactly-once checked from the stand-ins' own records.
//
// The choice: a real GPU takes seconds per image, so the stand-ins get a nonzero time per step
// (default 10 steps × 0.05 s = 0.5 s of "GPU" per generation) and enough instances that the farm's
// capacity (instances ÷ GPU seconds, 80/s by default) is far above what the schedulers reach: the
// GPUs are never the limit, the schedulers are. Every process runs on this machine, though: the
// stand-ins, Postgres and every scheduler share its cores, so when one scheduler already keeps the
// machine busy, more processes cannot add throughput, and the bench prints the machine's busy
// share beside each rate so that this case is told apart from a limit inside the scheduler. It
// also samples Postgres backends waiting on locks (slot claims of different processes waiting for
// each other).
//
// Counted (statements, CPU) from the burst's enqueue to its last delivery; the thumbnail backlog,
// off the member's path, is left to drain unmeasured. Fair order is judged on when each claim
// decided (a bench-only trigger records clock_timestamp() at queued → running, lib/claim-clock.ts),
// with BENCH_FAIR_SLACK_MS for the commit of a request racing the claim that skipped it.
// Fails (exit 1) when a generation ran twice or not at all on a GPU, was delivered twice or not at
// all, or when members were served out of the fair order (scheduler/placement.ts: priority, then age).
//   node bench/scale-out.ts   (BENCH_N=600 BENCH_USERS=100 BENCH_INSTANCES=40 BENCH_SECONDS_PER_STEP=0.05
//                              BENCH_STEPS=10 BENCH_PROCESSES=1,2,4 BENCH_FAIR_SLACK_MS=500; BENCH_COUNT_TOP=1 lists the most frequent statements;
//                              BENCH_REPLIES=0: requests without a Discord reply to edit, as this bench ran before;
//                              BENCH_GENERATE_CONCURRENCY=n sets SCHEDULER_GENERATE_CONCURRENCY in every process, 0 = one worker per farm slot)
import { createPool } from '#shared/db/pool.ts';
import { GenerationEnqueuer } from '#shared/generation/enqueuer.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { startComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim } from '#sim/discord/index.ts';
import { freshDatabase } from './lib/database.ts';
import { deferredRequests } from './lib/deferred-imagine.ts';
import { claimedRows, installClaimClock } from './lib/claim-clock.ts';
import { checkExactlyOnce, formatExactlyOnce, type ExactlyOnce } from './lib/exactly-once.ts';
import { describeViolation, fairOrderViolations } from './lib/fair-order.ts';
import { startFleet } from './lib/fleet.ts';
import { watchPostgres, type PgLoad } from './lib/host-load.ts';
import { schedulerEnvFor, until } from './lib/stack.ts';

const n = Number(process.env.BENCH_N ?? 600);
const users = Number(process.env.BENCH_USERS ?? 100);
const instances = Number(process.env.BENCH_INSTANCES ?? 40);
const secondsPerStep = Number(process.env.BENCH_SECONDS_PER_STEP ?? 0.05);
const steps = Number(process.env.BENCH_STEPS ?? 10);
const processCounts = (process.env.BENCH_PROCESSES ?? '1,2,4').split(',').map(Number);
const fairSlackMs = Number(process.env.BENCH_FAIR_SLACK_MS ?? 500);
const goals: Record<number, number> = { 2: 1.6, 4: 2.5 };

interface Round {
  processes: number;
  /** SCHEDULER_GENERATE_CONCURRENCY of every process (0 = one per farm slot). */
  workers: string;
  rate: number;
  gpuRate: number;
  gpuBusy: number;
  statementsPerGeneration: number;
  cpuMsPerGeneration: number;
  cpuSharePerProcess: number[];
  pg: PgLoad;
  /** This process: the stand-ins (ComfyUI, Discord) and the enqueuing. */
  standInShare: number;
  exactlyOnce: ExactlyOnce;
  unfair: number;
  unfairExample: string;
  succeeded: number;
}

async function round(processes: number): Promise<Round> {
  const name = `genonaut_bench_scale_out_${processes}_${process.pid}`;
  const db = await freshDatabase(name);
  const sims = await Promise.all(Array.from({ length: instances }, () => startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep })));
  const discord = await startDiscordSim();
  const pool = createPool(db.url);
  const producer = await startBoss(db.url, { supervise: false });
  producer.on('error', () => {});
  // Configured as the README says for k processes (slots ÷ k + 2 generate workers each; one process: the default, one per slot).
  const concurrency = process.env.BENCH_GENERATE_CONCURRENCY ?? (processes > 1 ? String(Math.ceil((instances * 2) / processes) + 2) : '0');
  const fleet = await startFleet(processes, { ...(await schedulerEnvFor(db.url, discord, sims.map((s) => s.url))), SCHEDULER_GENERATE_CONCURRENCY: concurrency });
  try {
    // Every process's startup model discovery done, so that it is not counted against the generations.
    await until(async () => (await pool.query(`select count(*)::int as n from model where available`)).rows[0].n >= 1, 60_000, 50);
    await new Promise((r) => setTimeout(r, 3000));
    await installClaimClock(pool);
    // Each request a deferred /imagine as the bot leaves it (live edits and the result edit its reply,
    // as in production; BENCH_REPLIES=0: without a reply, see deferredRequests).
    const inputs = await deferredRequests(discord, n, users, { steps });
    const before = await fleet.counters();
    const load = await watchPostgres(db.url, name);
    const ownCpu = process.cpuUsage();
    const started = Date.now();
    const enqueuer = new GenerationEnqueuer(pool, producer);
    const visibleAt = new Map<string, number>();
    await Promise.all(inputs.map(async (input) => {
      const { generation } = await enqueuer.enqueue(input);
      visibleAt.set(generation.id, Date.now());
    }));
    // Counted up to the last delivery: thumbnails are background work off the member's path, and on
    // two shared cores their backlog would take minutes to drain after the last delivery.
    await until(async () => (await pool.query(`select count(*)::int as n from generation where delivered_at is not null`)).rows[0].n === n, 600_000, 50);
    const wall = (Date.now() - started) / 1000;
    const own = process.cpuUsage(ownCpu);
    const after = await fleet.counters();
    const pg = await load.stop();
    if (process.env.BENCH_COUNT_TOP) for (const [text, count] of after.top) console.log(`${String(count).padStart(8)}  ${text}`);
    const span = (await pool.query<{ all: number; gpu: number; ok: number }>(
      `select extract(epoch from max(delivered_at) - min(created_at)) as all, extract(epoch from max(finished_at) - min(started_at)) as gpu,
         count(*) filter (where status = 'succeeded')::int as ok from generation`,
    )).rows[0]!;
    const placed = (await claimedRows(pool)).map((p) => ({ ...p, visibleAt: visibleAt.get(p.id)! }));
    const unfair = fairOrderViolations(placed, fairSlackMs);
    const busyMs = sims.reduce((s, sim) => s + sim.executions.reduce((t, e) => t + ((e.finishedAt ?? e.startedAt) - e.startedAt), 0), 0);
    const example = unfair[0] ? describeViolation(unfair, started) : '';
    return {
      processes,
      workers: concurrency,
      rate: n / Number(span.all),
      gpuRate: n / Number(span.gpu),
      gpuBusy: busyMs / (instances * Number(span.gpu) * 1000),
      statementsPerGeneration: (after.statements - before.statements) / n,
      cpuMsPerGeneration: (after.cpuMs - before.cpuMs) / n,
      cpuSharePerProcess: after.cpuMsEach.map((c, i) => (c - before.cpuMsEach[i]!) / (wall * 1000)),
      pg,
      standInShare: (own.user + own.system) / 1000 / (wall * 1000),
      exactlyOnce: await checkExactlyOnce(pool, sims, discord),
      unfair: unfair.length,
      unfairExample: example,
      succeeded: span.ok,
    };
  } finally {
    await fleet.stop();
    await producer.stop({ graceful: true, timeout: 2000 });
    await pool.end();
    await Promise.all([...sims.map((s) => s.close()), discord.close()]);
    await db.drop();
  }
}

const f1 = (v: number) => v.toFixed(1);
const pct = (v: number) => `${(v * 100).toFixed(0)} %`;
const gpuSeconds = steps * secondsPerStep;
console.log(`scale-out: ${n} generations from ${users} members, ${instances} stand-ins at ${steps} steps × ${secondsPerStep} s = ${gpuSeconds} s of GPU each ` +
  `(farm capacity ${f1(instances / gpuSeconds)}/s), depth 2; scheduler processes ${processCounts.join(', ')}; ${(await import('node:os')).cpus().length} cores`);
const rounds: Round[] = [];
let violated = false;
try {
  for (const k of processCounts) {
    const r = await round(k);
    rounds.push(r);
    const ratio = r.rate / rounds[0]!.rate;
    console.log(
      `${k} process${k > 1 ? 'es' : ''}: ${f1(r.rate)} generations/s enqueue→delivered (${f1(r.gpuRate)}/s first start→last GPU finish) = ${ratio.toFixed(2)}× one` +
        `${goals[k] ? ` (goal ≥ ${goals[k]}×: ${ratio >= goals[k]! ? 'met' : 'NOT met'})` : ''}; ${f1(r.statementsPerGeneration)} SQL statements and ${f1(r.cpuMsPerGeneration)} ms scheduler CPU per generation`,
    );
    console.log(
      `    generate workers per process ${r.workers === '0' ? `${instances * 2} (one per slot, the default)` : r.workers}; machine busy ${pct(r.pg.machineBusy)} of all cores; scheduler processes each ${r.cpuSharePerProcess.map(pct).join(' / ')} of a core; ` +
        `this process (stand-ins, enqueue) ${pct(r.standInShare)}; our Postgres backends ${pct(r.pg.backendCpuMs / (r.pg.seconds * 1000))} of a core, ${f1(r.pg.transactions / r.pg.seconds)} transactions/s; GPUs busy ${pct(r.gpuBusy)}`,
    );
    console.log(`    backends waiting on a lock: ${r.pg.lockWaitersMean.toFixed(2)} on average, at least one in ${pct(r.pg.lockWaitShare)} of samples ${JSON.stringify(r.pg.lockWaitEvents)}`);
    console.log(`    ${formatExactlyOnce(r.exactlyOnce)}; fair order: ${r.unfair === 0 ? 'kept' : `${r.unfair} pairs out of order (slack ${fairSlackMs} ms) ${r.unfairExample}`}`);
    if (!r.exactlyOnce.ok || r.unfair > 0 || r.succeeded !== n) violated = true;
  }
  const met = rounds.every((r) => !goals[r.processes] || r.rate / rounds[0]!.rate >= goals[r.processes]!);
  console.log(`goals (rate): ${met ? 'met' : 'NOT met'}; exactly-once and fair order: ${violated ? 'VIOLATED' : 'kept'}`);
  if (violated) process.exitCode = 1;
} catch (err) {
  console.error(err);
  process.exitCode = 1;
}
process.exit();
