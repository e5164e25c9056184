// Issue 5 "done when": BENCH_GENERATIONS generations across two stand-in instances while the
// scheduler process is SIGKILLed BENCH_KILLS times. Prints how every generation ended, how many ran
// more than once on a GPU (counted from the output files the stand-ins wrote) and how many were
// delivered more than once (messages in the Discord stand-in).
//   node bench/crash-soak.ts        (BENCH_GENERATIONS=100 BENCH_KILLS=10 BENCH_KILL_EVERY_MS=2000)
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createPool } from '#shared/db/pool.ts';
import { enqueueGeneration } from '#shared/generation/enqueue.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { startComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim } from '#sim/discord/index.ts';
import { freshDatabase } from './lib/database.ts';
import { newGenerationFor, schedulerEnvFor, until } from './lib/stack.ts';

const total = Number(process.env.BENCH_GENERATIONS ?? 100);
const kills = Number(process.env.BENCH_KILLS ?? 10);
const killEveryMs = Number(process.env.BENCH_KILL_EVERY_MS ?? 2000);

const db = await freshDatabase('genonaut_bench_crash_soak');
const discord = await startDiscordSim();
const sims = await Promise.all([0, 1].map(() => startComfySim({ models: { checkpoints: ['base.safetensors'] }, secondsPerStep: 0.05 })));
const env = await schedulerEnvFor(db.url, discord, sims.map((s) => s.url));
const pool = createPool(db.url);
const producer = await startBoss(db.url, { supervise: false });

function startChild(): ChildProcess {
  return spawn(process.execPath, ['scheduler/main.ts'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
}

const started = Date.now();
const ids: string[] = [];
for (let i = 0; i < total; i++) {
  const { generation } = await enqueueGeneration(pool, producer, newGenerationFor(discord, `1000000000000${String(i % 17).padStart(5, '0')}`, { steps: 6 }) as never);
  ids.push(generation.id);
}

let child = startChild();
for (let k = 0; k < kills; k++) {
  await new Promise((r) => setTimeout(r, killEveryMs));
  child.kill('SIGKILL');
  await once(child, 'exit');
  child = startChild();
}
const settledCount = async () =>
  (await pool.query(`select count(*)::int as n from generation where status in ('succeeded', 'failed', 'cancelled') and delivered_at is not null`)).rows[0].n as number;
await until(async () => (await settledCount()) === total, 15 * 60_000, 250);
const elapsed = (Date.now() - started) / 1000;
child.kill('SIGTERM');
await once(child, 'exit');

const byStatus = (await pool.query(`select status, count(*)::int as n from generation group by status order by status`)).rows;
const files = new Map<string, number>();
for (const sim of sims) {
  const dir = path.join(sim.outputDir, 'genonaut');
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    const id = f.slice(0, 36);
    files.set(id, (files.get(id) ?? 0) + 1);
  }
}
const ranTwice = ids.filter((id) => (files.get(id) ?? 0) > 1).length;
const neverRan = ids.filter((id) => !files.has(id)).length;
const messages = discord.messages(discord.defaultGuild!.channels[0]!.id);
const deliveries = new Map<string, number>();
for (const m of messages) for (const id of ids) if (JSON.stringify(m.embeds).includes(id)) deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
const deliveredTwice = [...deliveries.values()].filter((n) => n > 1).length;
const attempts = (await pool.query(`select coalesce(sum(attempts), 0)::int as n from generation`)).rows[0].n;

console.log(`crash soak: ${total} generations, 2 instances, scheduler SIGKILLed ${kills} times (every ${killEveryMs} ms)`);
console.log(`settled and delivered: ${await settledCount()}/${total} in ${elapsed.toFixed(1)} s — ${byStatus.map((r) => `${r.status} ${r.n}`).join(', ')}`);
console.log(`ran on a GPU more than once: ${ranTwice}; never ran: ${neverRan}; delivered more than once: ${deliveredTwice}; delivered: ${deliveries.size}`);
console.log(`placements (attempts) in total: ${attempts}`);

await producer.stop({ graceful: false });
await pool.end();
await Promise.all([...sims.map((s) => s.close()), discord.close()]);
await db.drop();
process.exit(0);
