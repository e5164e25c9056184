// Limiter check + consume (DESIGN §9: ≥ 2 000/s at 100 concurrent users, never over-admitting), side by side
// with the anchor: a bare single-row `UPDATE … RETURNING` on one counter row per user, same pool, same
// concurrency, runs interleaved. Then the same at 50 000 waiting requests (the check must stay flat), and
// over-admission checks: many connections racing for one user's last images, and for 100 users' at once.
// Users are requests in flight at once, sharing one pool of connections (the bot's own pool has 10).
// "In BEGIN … COMMIT" and the races run the limiter as /imagine does: policies read beside the transaction.
//   node bench/limiter.ts        (BENCH_SECONDS=2 per run, BENCH_ROUNDS=3, BENCH_USERS=1,10,100, BENCH_POOL=20, BENCH_WAITING=50000)
import pg from 'pg';
import { asDb, createPool, withTransaction, type Db } from '#shared/db/pool.ts';
import { Limiter, type LimitRequest } from '#shared/limits/limiter.ts';
import { noLimits, type Limits } from '#shared/limits/policy.ts';
import { freshDatabase } from './lib/database.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const levels = (process.env.BENCH_USERS ?? '1,10,100').split(',').map(Number);
const waitingRows = Number(process.env.BENCH_WAITING ?? 50_000);
const poolSize = Number(process.env.BENCH_POOL ?? 20);

const guildId = '900000000000000001';
const roles = ['800000000000000001', '800000000000000002'];
const userId = (i: number) => `1000000000${String(i).padStart(8, '0')}`;
const request = (i: number): LimitRequest => ({ userId: userId(i), guildId, roleIds: roles, images: 1, steps: 30, width: 1024, height: 1024 });
// Caps high enough never to refuse in the throughput runs, so every check does the full work of an admission.
const roomy: Limits = { ...noLimits, perMinute: 1_000_000_000, perHour: 1_000_000_000, perDay: 1_000_000_000, maxBatch: 4, maxSteps: 150, maxPixels: 4_194_304 };

type Variant = 'anchor' | 'autocommit' | 'transaction';
const labels: Record<Variant, string> = {
  anchor: 'anchor: bare UPDATE … RETURNING',
  autocommit: 'limiter.admit (policy read + upsert)',
  transaction: 'limiter.admit in BEGIN … COMMIT',
};

/** As the enqueue runs it: the policies read on another connection while the transaction begins, the consume in it. */
function admitAsImagine(pool: pg.Pool, limiter: Limiter, req: LimitRequest) {
  const policies = limiter.limitsFor(asDb(pool), [req]);
  policies.catch(() => undefined);
  return withTransaction(pool, async (tx) => limiter.admit(tx, [req], await policies));
}

/** Runs `users` workers for `seconds`, worker i always for user i; returns operations per second and the count. */
async function rate(users: number, op: (i: number) => Promise<unknown>): Promise<{ perSecond: number; done: number }> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: users }, async (_, i) => {
      while (performance.now() < end) {
        await op(i);
        done++;
      }
    }),
  );
  return { perSecond: done / ((performance.now() - started) / 1000), done };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function dayCountTotal(pool: pg.Pool): Promise<number> {
  return Number((await pool.query(`select coalesce(sum(day_count), 0)::bigint as n from user_usage`)).rows[0].n);
}

async function throughput(pool: pg.Pool, limiter: Limiter, users: number): Promise<Record<Variant, number> & { counted: boolean }> {
  const db: Db = asDb(pool);
  const ops: Record<Variant, (i: number) => Promise<unknown>> = {
    // Prepared, like the limiter's own statements: the anchor pays no parse or plan either.
    anchor: (i) => pool.query({ name: 'bench.anchor', text: `update bench_counter set n = n + 1 where user_id = $1 returning n`, values: [userId(i)] }),
    autocommit: (i) => limiter.admit(db, [request(i)]),
    transaction: (i) => admitAsImagine(pool, limiter, request(i)),
  };
  const runs: Record<Variant, number[]> = { anchor: [], autocommit: [], transaction: [] };
  let counted = true;
  for (let r = 0; r < rounds; r++) {
    const order: Variant[] = r % 2 ? ['transaction', 'autocommit', 'anchor'] : ['anchor', 'autocommit', 'transaction'];
    for (const v of order) {
      const before = v === 'anchor' ? 0 : await dayCountTotal(pool);
      const { perSecond, done } = await rate(users, ops[v]);
      if (v !== 'anchor' && (await dayCountTotal(pool)) - before !== done) counted = false;
      runs[v].push(perSecond);
    }
  }
  return { anchor: median(runs.anchor), autocommit: median(runs.autocommit), transaction: median(runs.transaction), counted };
}

/** `attempts` admissions spread over `connections` at once; returns how many each user got. */
async function race(pool: pg.Pool, limiter: Limiter, connections: number, attempts: number, userOf: (k: number) => number): Promise<Map<string, number>> {
  const admitted = new Map<string, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < attempts) {
        const k = next++;
        const [a] = await admitAsImagine(pool, limiter, request(userOf(k)));
        if (a!.ok) admitted.set(userId(userOf(k)), (admitted.get(userId(userOf(k))) ?? 0) + 1);
      }
    }),
  );
  return admitted;
}

const fmt = (v: number) => Math.round(v).toLocaleString('en-US').padStart(8);

const db = await freshDatabase('genonaut_bench_limiter');
const maxUsers = Math.max(...levels, 100);
const pool = createPool(db.url, { max: poolSize });
try {
  // Policies as a real guild has them: a global row, the guild, two roles (the member has both).
  await pool.query(
    `insert into limit_policy (scope, guild_id, subject_id, per_minute, max_batch, max_steps) values
      ('global', '', '', null, null, 150), ('guild', $1, '', null, 4, null), ('role', $1, $2, null, 4, null), ('role', $1, $3, null, 2, null)`,
    [guildId, ...roles],
  );
  await pool.query(`create table bench_counter (user_id text primary key, n bigint not null default 0)`);
  await pool.query(`insert into bench_counter (user_id) select '1000000000' || lpad(i::text, 8, '0') from generate_series(0, $1::int - 1) as i`, [maxUsers]);
  const limiter = new Limiter({ defaults: roomy, maxWaiting: 10_000_000 });
  for (let i = 0; i < maxUsers; i++) await limiter.admit(asDb(pool), [request(i)]); // every user has a usage row, as after their first request

  console.log(`limiter check + consume: ${rounds} interleaved runs of ${seconds} s per variant, median shown; users share a pool of ${poolSize} connections`);
  console.log(`users  ${labels.anchor.padStart(32)}  ${labels.autocommit.padStart(36)}  ${labels.transaction.padStart(33)}`);
  const results = new Map<number, Awaited<ReturnType<typeof throughput>>>();
  for (const users of levels) {
    const r = await throughput(pool, limiter, users);
    results.set(users, r);
    console.log(
      `${String(users).padStart(5)}  ${fmt(r.anchor)}/s${' '.repeat(22)}  ${fmt(r.autocommit)}/s (${(r.autocommit / r.anchor).toFixed(2)}× anchor)${' '.repeat(12)}` +
        `  ${fmt(r.transaction)}/s (${(r.transaction / r.anchor).toFixed(2)}× anchor)   every admission counted: ${r.counted ? 'yes' : 'NO'}`,
    );
  }

  // 50 000 requests waiting: the check reads a counter, never the line, so it must not slow down.
  await pool.query(
    `insert into generation (id, user_id, channel_id, application_id, prompt, checkpoint, width, height, seed, steps, cfg, sampler, scheduler, status, charged_at)
     select gen_random_uuid(), '2000000000' || lpad((i % 5000)::text, 8, '0'), '1', '1', 'waiting ' || i, 'sdxl.safetensors', 1024, 1024, i, 30, 7, 'euler', 'normal', 'queued', now()
     from generate_series(1, $1::int) as i`,
    [waitingRows],
  );
  await pool.query(`insert into queue_waiting (shard, waiting) values (0, $1) on conflict (shard) do update set waiting = queue_waiting.waiting + excluded.waiting`, [waitingRows]);
  await pool.query('analyze');
  const busy = await throughput(pool, limiter, 100);
  const idle = results.get(100);
  console.log(
    `  100 users with ${waitingRows.toLocaleString('en-US')} waiting: limiter in BEGIN … COMMIT ${fmt(busy.transaction)}/s` +
      (idle ? ` (${(busy.transaction / idle.transaction).toFixed(2)}× the empty line)` : '') + `, anchor ${fmt(busy.anchor)}/s`,
  );
  const goal = (results.get(100) ?? busy).transaction;
  console.log(`goal ≥ 2 000/s at 100 users (in the enqueue's transaction): ${goal >= 2000 ? 'met' : 'NOT met'} (${Math.round(goal)}/s)`);

  // Over-admission: a fixed clock, so no window can roll over mid-race and legitimately admit more.
  const fixed = new Date('2026-12-01T12:00:30Z');
  const oneUser = await race(pool, new Limiter({ defaults: { ...noLimits, perMinute: 500 }, maxWaiting: 0 }, () => fixed), 100, 2_000, () => 1_000);
  const atOnce = await race(pool, new Limiter({ defaults: { ...noLimits, maxActive: 5 }, maxWaiting: 0 }, () => fixed), 100, 500, () => 1_001);
  const many = await race(pool, new Limiter({ defaults: { ...noLimits, perMinute: 20 }, maxWaiting: 0 }, () => fixed), 100, 4_000, (k) => 2_000 + ((k * 37) % 100));
  const manyCounts = [...many.values()];
  const over = Math.max(0, (oneUser.get(userId(1_000)) ?? 0) - 500) + Math.max(0, (atOnce.get(userId(1_001)) ?? 0) - 5) +
    manyCounts.reduce((s, n) => s + Math.max(0, n - 20), 0);
  console.log(`over-admission (100 requests at once over ${poolSize} connections):`);
  console.log(`  one user, 2 000 attempts, 500 images per minute: admitted ${oneUser.get(userId(1_000)) ?? 0}`);
  console.log(`  one user, 500 attempts, 5 requests at once: admitted ${atOnce.get(userId(1_001)) ?? 0}`);
  console.log(`  100 users, 4 000 attempts (40 each, interleaved), 20 per minute each: admitted ${manyCounts.reduce((a, b) => a + b, 0)}, ` +
    `per user min ${Math.min(...manyCounts)} max ${Math.max(...manyCounts)}`);
  console.log(`  over-admitted: ${over} (goal: never)`);
} finally {
  await pool.end();
  await db.drop();
}
process.exit(0);
