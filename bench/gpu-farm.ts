// A GPU farm through the real product path (issue #14): 50 stand-in ComfyUI instances, 500 members
// in two classes — light (1–3 requests a day) and heavy (bursts of 2–4, twice a day) — arriving
// along a day's curve (quiet night, lunch bump, evening peak) compressed into a few minutes. Each
// request is a deferred /imagine enqueued as the bot does (GenerationEnqueuer: limiter, row and job
// in one transaction, fair priority), run by scheduler processes, delivered by editing the reply in
// the stand-in Discord, with the live progress and place-in-line edits production makes.
//
// Time: a GPU step is BENCH_STEP_SECONDS (1 s, a mid-range GPU at 1024², 25 steps) divided by
// BENCH_GPU_COMPRESSION (6): ~4 s of stand-in GPU per image, so 50 GPUs serve ~12 images/s. The
// day is compressed far more (86 400 s → BENCH_DAY_SECONDS, 240 s): the traffic is a day's SHAPE
// and member mix, scaled so that the evening peak asks for more than the farm serves — the case
// where scheduling matters — and so that the whole run fits in a few minutes on two shared cores.
// Our overhead is NOT compressed: beside real GPU time it is 6× smaller than printed here.
// Fair order is judged on when each claim decided (a bench-only trigger, lib/claim-clock.ts).
// Rate limits are off (Limiter.unlimited): their windows are wall-clock minutes and hours, which a
// compressed day cannot honour; fairness comes from the queue priority alone.
//
// Printed: GPU utilisation against demand (busy GPU time ÷ the GPU time the waiting and running
// requests could have used: min(GPUs, requests not yet finished) at every instant), queue wait
// (request made → its GPU starts, from the stand-in's own clock) p50/p99 per class, delivery lag
// (finished → result posted) p50/p99, Postgres load (statements of the scheduler processes,
// transactions from pg_stat_database, CPU of our database's backends from /proc), all beside the
// anchor: the GPU time of a generation. Fails (exit 1) when utilisation is below
// BENCH_MIN_UTILISATION (0.95), when light members wait longer than heavy ones (p50 by more than
// 250 ms, or p99), when slots went out of fair order, or when anything ran or was delivered other
// than exactly once.
//   node bench/gpu-farm.ts   (BENCH_INSTANCES=50 BENCH_MEMBERS=500 BENCH_HEAVY_SHARE=0.2 BENCH_DAY_SECONDS=240
//                             BENCH_STEPS=25 BENCH_STEP_SECONDS=1 BENCH_GPU_COMPRESSION=6 BENCH_SCHEDULERS=2 BENCH_SEED=1;
//                             BENCH_LORAS=2000: every instance also has that many LoRAs, as a community's registry grows; BENCH_COUNT_TOP=1 lists
//                             the scheduler processes' most frequent statements)
import { cpus } from 'node:os';
import { createPool } from '#shared/db/pool.ts';
import { GenerationEnqueuer } from '#shared/generation/enqueuer.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { startComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim } from '#sim/discord/index.ts';
import { freshDatabase } from './lib/database.ts';
import { deferredInteraction, registerImagine } from './lib/deferred-imagine.ts';
import { claimedRows, installClaimClock } from './lib/claim-clock.ts';
import { checkExactlyOnce, formatExactlyOnce } from './lib/exactly-once.ts';
import { describeViolation, fairOrderViolations } from './lib/fair-order.ts';
import { dayOfTraffic } from './lib/farm-traffic.ts';
import { startFleet } from './lib/fleet.ts';
import { lostBy, utilisation, type Span } from './lib/gpu-time.ts';
import { watchPostgres } from './lib/host-load.ts';
import { newGenerationFor, schedulerEnvFor, until } from './lib/stack.ts';
import { summarize } from './lib/stats.ts';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const instances = env('BENCH_INSTANCES', 50);
const members = env('BENCH_MEMBERS', 500);
const heavyShare = env('BENCH_HEAVY_SHARE', 0.2);
const daySeconds = env('BENCH_DAY_SECONDS', 240);
const steps = env('BENCH_STEPS', 25);
const stepSeconds = env('BENCH_STEP_SECONDS', 1);
const compression = env('BENCH_GPU_COMPRESSION', 6);
const schedulers = env('BENCH_SCHEDULERS', 2);
const minUtilisation = env('BENCH_MIN_UTILISATION', 0.95);
const fairSlackMs = env('BENCH_FAIR_SLACK_MS', 500);
const loras = Array.from({ length: env('BENCH_LORAS', 0) }, (_, i) => `farm/lora_${i}.safetensors`);
const secondsPerStep = stepSeconds / compression;

const arrivals = dayOfTraffic({ members, heavyShare, daySeconds, light: [1, 3], bursts: 2, burstSize: [2, 4], seed: env('BENCH_SEED', 1) });
const name = 'genonaut_bench_gpu_farm';
const db = await freshDatabase(name);
let failed: boolean;
try {
  const sims = await Promise.all(Array.from({ length: instances }, () => startComfySim({ models: { checkpoints: ['base.safetensors'], loras }, secondsPerStep })));
  const discord = await startDiscordSim();
  await registerImagine(discord);
  const users = Array.from({ length: members }, (_, i) => discord.addUser({ username: `member${i}` }));
  const pool = createPool(db.url);
  const producer = await startBoss(db.url, { supervise: false });
  producer.on('error', () => {});
  const fleet = await startFleet(schedulers, await schedulerEnvFor(db.url, discord, sims.map((s) => s.url)));
  // Every model discovered on every instance before the day starts.
  await until(async () => (await pool.query(`select count(*)::int as n from model where available and jsonb_array_length(instance_ids) = $1`, [instances])).rows[0].n >= 1 + loras.length, 180_000, 200);
  await new Promise((r) => setTimeout(r, 3000));
  await installClaimClock(pool);
  const heavyOf = new Map<string, boolean>();
  const visibleAt = new Map<string, number>();
  const before = await fleet.counters();
  const load = await watchPostgres(db.url, name);
  const ownCpu = process.cpuUsage();
  const enqueuer = new GenerationEnqueuer(pool, producer);
  const started = Date.now();
  let refused = 0;
  // Arrivals this process failed to simulate: its own deferral (standing in for the bot) reached the
  // stand-in Discord after 3 s (10062), because this one process also runs 50 stand-in GPUs and Discord.
  // Never enqueued, so not ours to lose; reported, and a run with more than 1 % of them is not representative.
  let harnessMissed = 0;
  const sent: Promise<void>[] = [];
  for (const a of arrivals) {
    const wait = started + a.at * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sent.push((async () => {
      const deferred = await deferredInteraction(discord, users[a.member]!).catch((err: unknown) => {
        if (!String(err).includes('10062')) throw err;
        harnessMissed++;
        return undefined;
      });
      if (!deferred) return;
      const { userId, token, interactionId } = deferred;
      const input = newGenerationFor(discord, userId, { interactionId, interactionToken: token, interactionTokenExpiresAt: new Date(Date.now() + 14 * 60_000), steps });
      heavyOf.set(input.id!, a.heavy);
      await enqueuer.enqueue(input);
      visibleAt.set(input.id!, Date.now());
    })().catch((err: unknown) => {
      refused++;
      console.error('enqueue failed:', err);
    }));
  }
  await Promise.all(sent);
  const lastArrival = Date.now();
  const total = arrivals.length - refused - harnessMissed;
  await until(async () => (await pool.query(`select count(*)::int as n from generation where delivered_at is not null`)).rows[0].n === total, 900_000, 200);
  const wall = (Date.now() - started) / 1000;
  const own = process.cpuUsage(ownCpu);
  const after = await fleet.counters();
  const pg = await load.stop();

  const claims = await claimedRows(pool);
  const claimedAt = new Map(claims.map((c) => [c.id, c.startedAt]));
  const rows = (await pool.query<{ id: string; prompt: string; status: string; priority: number; created: number; started: number; finished: number; delivered: number }>(
    `select id, comfy_prompt_id as prompt, status, queue_priority as priority, extract(epoch from created_at) * 1000 as created,
       extract(epoch from started_at) * 1000 as started, extract(epoch from finished_at) * 1000 as finished, extract(epoch from delivered_at) * 1000 as delivered
     from generation`,
  )).rows;
  const execution = new Map(sims.flatMap((s) => s.executions.map((e) => [e.promptId, e] as const)));
  const gpu = summarize(sims.flatMap((s) => s.executions.map((e) => (e.finishedAt ?? e.startedAt) - e.startedAt)));
  const demand: Span[] = [];
  const unplaced: Span[] = [];
  const queuedInComfy: Span[] = [];
  const waits = { light: [] as number[], heavy: [] as number[] };
  const lag: number[] = [];
  for (const r of rows) {
    const e = execution.get(r.prompt);
    if (!e?.finishedAt) continue;
    demand.push([Number(r.created), e.finishedAt]);
    // The claim decided at the claim clock's moment (bench_claimed); started_at is the claim transaction's start.
    const claimed = claimedAt.get(r.id) ?? Number(r.started);
    unplaced.push([Number(r.created), Math.min(claimed, e.startedAt)]);
    queuedInComfy.push([Math.min(claimed, e.startedAt), e.startedAt]);
    waits[heavyOf.get(r.id) ? 'heavy' : 'light'].push(e.startedAt - Number(r.created));
    lag.push(Number(r.delivered) - Number(r.finished));
  }
  const busy: Span[] = sims.flatMap((s) => s.executions.map((e): Span => [e.startedAt, e.finishedAt ?? e.startedAt]));
  const use = utilisation(demand, busy, instances);
  const lost = lostBy(unplaced, queuedInComfy, busy, instances);
  const util = use.busyMs / Math.max(1, use.possibleMs);
  const light = summarize(waits.light);
  const heavy = summarize(waits.heavy);
  const lagS = summarize(lag);
  const once = await checkExactlyOnce(pool, sims, discord);
  const unfair = fairOrderViolations(claims.map((p) => ({ ...p, visibleAt: visibleAt.get(p.id)! })), fairSlackMs);
  const succeeded = rows.filter((r) => r.status === 'succeeded').length;
  const statements = after.statements - before.statements;
  const cpuMs = after.cpuMs - before.cpuMs;
  const pgCpuMs = pg.backendCpuMs;

  const s1 = (v: number) => (v / 1000).toFixed(2);
  console.log(`gpu-farm: ${instances} stand-in GPUs at ${steps} steps × ${secondsPerStep.toFixed(3)} s (${stepSeconds} s/step ÷ ${compression}), ${schedulers} scheduler processes, ${cpus().length} cores${loras.length ? `, ${loras.length} LoRAs on every instance` : ''}; ` +
    `${members} members (${Math.round(members * heavyShare)} heavy), a day in ${daySeconds} s: ${arrivals.length} requests (${arrivals.filter((a) => a.heavy).length} heavy), ${refused} refused; ${harnessMissed} not sent (this bench's own deferral missed Discord's 3 s); ` +
    `last arrival ${((lastArrival - started) / 1000).toFixed(0)} s, all delivered after ${wall.toFixed(0)} s; ${succeeded}/${rows.length} succeeded`);
  console.log(`anchor: GPU time per generation p50 ${s1(gpu.p50)} s (p99 ${s1(gpu.p99)} s); farm capacity ${(instances / (gpu.p50 / 1000)).toFixed(1)}/s; demand above capacity for ${(use.saturatedMs / 1000).toFixed(0)} s`);
  console.log(`GPU utilisation against demand ${(util * 100).toFixed(1)} % (goal ≥ ${minUtilisation * 100} %): GPU time lost while work waited ${((use.possibleMs - use.busyMs) / Math.max(1, rows.length)).toFixed(0)} ms per generation beside ${gpu.p50.toFixed(0)} ms of GPU ` +
    `(a GPU idle while a request was not placed yet ${(lost.unplacedMs / Math.max(1, rows.length)).toFixed(0)} ms, while a placed one waited in another GPU's ComfyUI queue ${(lost.queuedInComfyMs / Math.max(1, rows.length)).toFixed(0)} ms)`);
  console.log(`queue wait (made → GPU start)  light n=${light.n} p50 ${s1(light.p50)} s p99 ${s1(light.p99)} s   heavy n=${heavy.n} p50 ${s1(heavy.p50)} s p99 ${s1(heavy.p99)} s`);
  console.log(`delivery lag (finished → posted) p50 ${lagS.p50.toFixed(0)} ms p99 ${lagS.p99.toFixed(0)} ms (GPU time ${gpu.p50.toFixed(0)} ms)`);
  console.log(`scheduler: ${(cpuMs / Math.max(1, rows.length)).toFixed(1)} ms CPU and ${(statements / Math.max(1, rows.length)).toFixed(1)} statements per generation (${(statements / pg.seconds).toFixed(0)} statements/s, ` +
    `${schedulers} processes at ${after.cpuMsEach.map((c, i) => `${(((c - before.cpuMsEach[i]!) / (wall * 1000)) * 100).toFixed(0)} %`).join(' / ')} of a core) beside ${gpu.p50.toFixed(0)} ms of GPU per generation`);
  console.log(`Postgres: ${(pg.transactions / pg.seconds).toFixed(0)} transactions/s, our backends ${((pgCpuMs / (pg.seconds * 1000)) * 100).toFixed(0)} % of a core = ${(pgCpuMs / Math.max(1, rows.length)).toFixed(1)} ms per generation; ` +
    `lock waiters ${pg.lockWaitersMean.toFixed(2)} on average; machine busy ${(pg.machineBusy * 100).toFixed(0)} % of all cores (this process: stand-ins + enqueue ${(((own.user + own.system) / 1000 / (wall * 1000)) * 100).toFixed(0)} % of a core)`);
  console.log(`${formatExactlyOnce(once)}; fair order: ${unfair.length === 0 ? 'kept' : `${unfair.length} pairs out of order (slack ${fairSlackMs} ms) ${describeViolation(unfair, started)}`}`);
  if (process.env.BENCH_COUNT_TOP) for (const [text, count] of after.top) console.log(`${String(count).padStart(8)}  ${text}`);
  const starving = light.p50 > heavy.p50 + 250 || light.p99 > heavy.p99;
  const checks = [
    [util >= minUtilisation, `utilisation ≥ ${minUtilisation * 100} %`],
    [!starving, 'light members not waiting longer than heavy ones'],
    [unfair.length === 0, 'fair order'],
    [once.ok && succeeded === rows.length && refused === 0, 'every request ran and was delivered exactly once'],
    [harnessMissed <= arrivals.length / 100, 'the bench itself kept up (≤ 1 % of arrivals not sent)'],
  ] as const;
  failed = checks.some(([ok]) => !ok);
  console.log(`goals: ${checks.map(([ok, what]) => `${what}: ${ok ? 'met' : 'NOT met'}`).join('; ')}`);
  await fleet.stop();
  await producer.stop({ graceful: true, timeout: 2000 });
  await pool.end();
  await Promise.all([...sims.map((s) => s.close()), discord.close()]);
} catch (err) {
  console.error(err);
  failed = true;
} finally {
  await db.drop();
}
process.exitCode = failed ? 1 : 0;
process.exit();
