// Delivery lag when many generations finish together (issue #14): the time from a generation
// ending (finished_at) to its result being posted to Discord (delivered_at), with every waiting
// member's live message being edited meanwhile, as in production. Stand-ins at 0 s/step, so all
// generations finish at the rate the scheduler can run them.
//   node bench/delivery-lag.ts      (BENCH_N=300 BENCH_USERS=100 BENCH_INSTANCES=4)
import { startComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim } from '#sim/discord/index.ts';
import { createPool } from '#shared/db/pool.ts';
import { enqueueGeneration } from '#shared/generation/enqueue.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { freshDatabase } from './lib/database.ts';
import { deferredInteraction, registerImagine } from './lib/deferred-imagine.ts';
import { newGenerationFor, schedulerEnvFor, startBenchScheduler, until } from './lib/stack.ts';
import { formatSummary, summarize } from './lib/stats.ts';

const n = Number(process.env.BENCH_N ?? 300);
const users = Number(process.env.BENCH_USERS ?? 100);
const instances = Number(process.env.BENCH_INSTANCES ?? 4);
const goalP99Ms = 2000;

const db = await freshDatabase('genonaut_bench_delivery_lag');
try {
  const sims = await Promise.all(Array.from({ length: instances }, () => startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0 })));
  const discord = await startDiscordSim();
  await registerImagine(discord);
  const pool = createPool(db.url);
  const producer = await startBoss(db.url, { supervise: false });
  producer.on('error', () => {});
  for (let i = 0; i < n; i++) {
    const { userId, token, interactionId } = await deferredInteraction(discord, discord.addUser({ username: `bench${i % users}` }));
    await enqueueGeneration(pool, producer, newGenerationFor(discord, userId, {
      interactionId, interactionToken: token, interactionTokenExpiresAt: new Date(Date.now() + 14 * 60_000),
    }) as never);
  }
  const started = Date.now();
  const scheduler = await startBenchScheduler(await schedulerEnvFor(db.url, discord, sims.map((s) => s.url)));
  await until(async () => (await pool.query(`select count(*)::int as n from generation where delivered_at is not null`)).rows[0].n === n, 600_000, 100);
  const wall = (Date.now() - started) / 1000;
  const rows = (await pool.query<{ lag: number; finished: number }>(
    `select extract(epoch from delivered_at - finished_at) * 1000 as lag, extract(epoch from finished_at) * 1000 as finished
       from generation where status = 'succeeded'`,
  )).rows;
  const finished = rows.map((r) => Number(r.finished)).sort((a, b) => a - b);
  const spanS = (finished.at(-1)! - finished[0]!) / 1000;
  const lag = summarize(rows.map((r) => Number(r.lag)));
  const edits = discord.requests.filter((r) => r.method === 'PATCH').length;
  console.log(`delivery lag: ${n} generations (${users} members, ${instances} stand-ins at 0 s/step) finishing over ${spanS.toFixed(1)} s (${(rows.length / Math.max(spanS, 0.001)).toFixed(1)}/s), all delivered after ${wall.toFixed(1)} s; ${edits} message edits`);
  console.log(formatSummary('finished → delivered', lag));
  console.log(`goal p99 < ${goalP99Ms} ms: ${lag.p99 < goalP99Ms && rows.length === n ? 'met' : 'NOT met'}${rows.length === n ? '' : ` (${n - rows.length} did not succeed)`}`);
  await scheduler.stop({ graceful: false });
  await producer.stop({ graceful: false });
  await pool.end();
  await Promise.all([...sims.map((s) => s.close()), discord.close()]);
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await db.drop();
}
process.exit();
