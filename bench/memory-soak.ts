// Memory of each role (bot, scheduler, admin API) before and after BENCH_GENERATIONS generations
// (default 1000) sent as /imagine through sim/discord, run on two sim/comfyui instances, delivered,
// and browsed through the admin API. Each role is its own child process; memory is read after a
// forced GC, once warmed up (BENCH_WARMUP generations) and again at the end. Exits 1 when a role
// grew past the bound: heapUsed +BENCH_HEAP_BOUND_MB (16) or RSS +BENCH_RSS_BOUND_MB (64).
//   node bench/memory-soak.ts
import { spawn, type ChildProcess } from 'node:child_process';
import { createPool } from '#shared/db/pool.ts';
import { registerCommands } from '#bot/register-commands.ts';
import { startComfySim } from '#sim/comfyui/index.ts';
import { startDiscordSim, type SimUser } from '#sim/discord/index.ts';
import { seedModels } from '../test/support/e2e.ts';
import { freePort } from '../scripts/demo/free-port.ts';
import { freshDatabase } from './lib/database.ts';
import { schedulerEnvFor, until } from './lib/stack.ts';

const generations = Number(process.env.BENCH_GENERATIONS ?? 1000);
const warmup = Number(process.env.BENCH_WARMUP ?? 100);
const heapBoundMb = Number(process.env.BENCH_HEAP_BOUND_MB ?? 16);
const rssBoundMb = Number(process.env.BENCH_RSS_BOUND_MB ?? 64);
const MB = 1024 * 1024;

interface Role {
  name: string;
  child: ChildProcess;
  output: () => string;
}

function startRole(name: string, entry: string, env: Record<string, string>): Role {
  const child = spawn(process.execPath, ['--expose-gc', '--import', './bench/lib/memory-probe.ts', entry], { env: { PATH: process.env.PATH ?? '', ...(process.env.MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } : {}), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { name, child, output: () => out };
}

async function memoryOf(role: Role): Promise<NodeJS.MemoryUsage> {
  const seen = role.output().split('MEMORY ').length;
  role.child.kill('SIGUSR2');
  await until(() => role.output().split('MEMORY ').length > seen, 10_000);
  return JSON.parse(role.output().split('MEMORY ').at(-1)!.split('\n')[0]!) as NodeJS.MemoryUsage;
}

const db = await freshDatabase('genonaut_bench_memory');
const pool = createPool(db.url);
const discord = await startDiscordSim();
const comfys = await Promise.all([0, 1].map(() => startComfySim({ models: { checkpoints: ['sdxl_base.safetensors'] }, secondsPerStep: 0.001 })));
const roles: Role[] = [];
try {
  await seedModels({ url: db.url, pool, name: 'bench', drop: async () => {} });
  await registerCommands({ token: discord.token, applicationId: discord.applicationId, apiBase: discord.apiBase, guildId: discord.defaultGuild!.id });
  const schedulerEnv = await schedulerEnvFor(db.url, discord, comfys.map((c) => c.url));
  const adminPort = await freePort();
  const adminToken = 'bench-memory-soak-admin-token-0123456789';
  const common = { DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
  roles.push(
    // Rate caps off: 20 members send 1 000 requests in a few minutes (the limiter still runs on each).
    startRole('bot', 'bot/main.ts', {
      ...common, DISCORD_TOKEN: discord.token, DISCORD_APPLICATION_ID: discord.applicationId, DISCORD_API_BASE: discord.apiBase,
      LIMIT_IMAGES_PER_MINUTE: '0', LIMIT_IMAGES_PER_HOUR: '0', LIMIT_IMAGES_PER_DAY: '0', LIMIT_MAX_ACTIVE: '0',
    }),
    startRole('scheduler', 'scheduler/main.ts', { ...schedulerEnv, LOG_LEVEL: 'warn' }),
    startRole('admin API', 'admin-api/main.ts', {
      ...common, COMFYUI_URLS: schedulerEnv.COMFYUI_URLS, STORAGE_DIR: schedulerEnv.STORAGE_DIR, ADMIN_PORT: String(adminPort), ADMIN_TOKEN: adminToken,
      PUBLIC_BASE_URL: `http://127.0.0.1:${adminPort}`,
    }),
  );
  await discord.waitForBot(30_000);
  const adminBase = `http://127.0.0.1:${adminPort}`;
  await until(async () => (await fetch(`${adminBase}/healthz`).catch(() => undefined))?.ok === true, 30_000, 100);

  const users: SimUser[] = Array.from({ length: 20 }, () => discord.addUser());
  let sent = 0;
  const done = async () => (await pool.query<{ n: number }>(`select count(*)::int as n from generation where status in ('succeeded', 'failed', 'cancelled') and delivered_at is not null`)).rows[0]!.n;
  const statuses = async () => Object.fromEntries((await pool.query<{ s: string; n: number }>(
    `select status || case when delivered_at is null then '' else ' (delivered)' end as s, count(*)::int as n from generation group by 1`)).rows.map((r) => [r.s, r.n]));
  const waitDone = (atLeast: number, ms: number) => until(async () => (await done()) >= atLeast, ms, 50)
    .catch(async (err: unknown) => {
      throw new Error(`stalled at ${await done()} of ${atLeast} settled: ${JSON.stringify(await statuses())}`, { cause: err });
    });
  const browse = async () => {
    for (const p of ['/metrics', '/api/v1/generations?limit=50', '/api/v1/stats', '/api/v1/instances']) {
      const r = await fetch(`${adminBase}${p}`, { headers: { authorization: `Bearer ${adminToken}` } });
      if (!r.ok) throw new Error(`admin API ${p}: ${r.status}`);
      await r.arrayBuffer();
    }
  };
  const run = async (count: number) => {
    const target = sent + count;
    while (sent < target) {
      const batch = Array.from({ length: Math.min(20, target - sent) }, (_, i) => discord.sendCommand({
        user: users[i % users.length]!, guild: discord.defaultGuild!, name: 'imagine', options: [{ name: 'prompt', value: `soak ${sent + i}` }, { name: 'steps', value: 2 }],
      }));
      for (const r of await Promise.all(batch.map((ix) => ix.waitForResponse(15_000)))) {
        const title = (r.data as { embeds?: { title?: string }[] } | undefined)?.embeds?.[0]?.title ?? '';
        if (!title.startsWith('Queued')) throw new Error(`/imagine was not queued: ${JSON.stringify(r.data)}`);
      }
      sent += batch.length;
      await waitDone(sent - 40, 60_000); // keep at most ~40 in flight
      if (sent % 100 === 0) {
        await browse();
        if (process.env.BENCH_VERBOSE) console.log(sent, JSON.stringify(await statuses()));
      }
    }
    await waitDone(sent, 120_000);
  };

  // Measure at rest: thumbnails and deliveries queued after a result are finished too.
  const busyJobs = async () => (await pool.query<{ name: string; state: string; n: number }>(
    `select name, state, count(*)::int as n from pgboss.job where name in ('generate', 'deliver', 'thumbnail') and state in ('created', 'retry', 'active') group by 1, 2`)).rows;
  const quiet = () => until(async () => (await busyJobs()).length === 0, 30_000, 100)
    .catch(async () => console.log(`measured with jobs still open after 30 s: ${JSON.stringify(await busyJobs())}`));
  const started = Date.now();
  await run(warmup);
  await browse();
  await quiet();
  const before = await Promise.all(roles.map(memoryOf));
  await run(generations);
  await browse();
  await quiet();
  const after = await Promise.all(roles.map(memoryOf));
  const seconds = (Date.now() - started) / 1000;
  const ended = await statuses();

  console.log(`memory soak: ${generations} generations after ${warmup} warm-up ones (/imagine → 2 stand-in GPUs → delivered; admin API browsed every 100), ${seconds.toFixed(0)} s, after forced GC`);
  console.log(`generations: ${JSON.stringify(ended)}`);
  console.log(`bound per role: heapUsed +${heapBoundMb} MB, RSS +${rssBoundMb} MB`);
  let exceeded = false;
  for (const [i, role] of roles.entries()) {
    const b = before[i]!;
    const a = after[i]!;
    const heapGrowth = (a.heapUsed - b.heapUsed) / MB;
    const rssGrowth = (a.rss - b.rss) / MB;
    const over = heapGrowth > heapBoundMb || rssGrowth > rssBoundMb;
    exceeded ||= over;
    console.log(`${role.name.padEnd(10)} rss ${(b.rss / MB).toFixed(1)} → ${(a.rss / MB).toFixed(1)} MB (${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(1)})  ` +
      `heapUsed ${(b.heapUsed / MB).toFixed(1)} → ${(a.heapUsed / MB).toFixed(1)} MB (${heapGrowth >= 0 ? '+' : ''}${heapGrowth.toFixed(1)})  ` +
      `external ${(b.external / MB).toFixed(1)} → ${(a.external / MB).toFixed(1)} MB  ${over ? 'OVER THE BOUND' : 'within the bound'}`);
  }
  process.exitCode = exceeded ? 1 : 0;
} finally {
  for (const role of roles) role.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1000));
  for (const role of roles) if (role.child.exitCode === null) role.child.kill('SIGKILL');
  await Promise.all([...comfys.map((c) => c.close()), discord.close()]);
  await pool.end();
  await db.drop();
}
process.exit(process.exitCode ?? 0);
