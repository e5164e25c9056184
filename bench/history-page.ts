// History page at 1 M generations (DESIGN §9: p99 ≤ 1.5× the anchor, and < 10 ms), side by side
// with the anchor: the bare keyset SQL through `pg`, same columns, same pool, alternating per sample.
//   node bench/history-page.ts          (BENCH_ROWS=1000000, BENCH_USERS=10000, BENCH_SAMPLES=2000)
import pg from 'pg';
import { encodeCursor, type KeysetCursor } from '#shared/db/keyset.ts';
import { asDb, createPool } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { generationColumns } from '#shared/db/sql/generations.ts';
import { freshDatabase } from './lib/database.ts';
import { seedGenerations } from './lib/seed-generations.ts';
import { formatSummary, summarize } from './lib/stats.ts';

const rowCount = Number(process.env.BENCH_ROWS ?? 1_000_000);
const userCount = Number(process.env.BENCH_USERS ?? 10_000);
const sampleCount = Number(process.env.BENCH_SAMPLES ?? 2_000);
const pageLimit = 10;

interface Case {
  kind: 'heavy first' | 'heavy deep' | 'light first' | 'light deep';
  userId: string;
  cursor?: KeysetCursor;
}

const anchorSql = (withCursor: boolean) =>
  withCursor
    ? `select ${generationColumns} from generation where user_id = $1 and (created_at, id) < ($2, $3) order by created_at desc, id desc limit ${pageLimit + 1}`
    : `select ${generationColumns} from generation where user_id = $1 order by created_at desc, id desc limit ${pageLimit + 1}`;

function anchor(pool: pg.Pool, c: Case): Promise<unknown> {
  return c.cursor ? pool.query(anchorSql(true), [c.userId, c.cursor.createdAt, c.cursor.id]) : pool.query(anchorSql(false), [c.userId]);
}

function ours(repo: GenerationRepository, c: Case): Promise<unknown> {
  return repo.historyPage(c.userId, { limit: pageLimit, cursor: c.cursor ? encodeCursor(c.cursor) : undefined });
}

/** The 5 heaviest users and 50 users from the tail, each with a first page and a page from the middle. */
async function pickCases(pool: pg.Pool): Promise<Case[]> {
  const { rows: users } = await pool.query<{ user_id: string; n: number; heavy: boolean }>(
    `(select user_id, count(*)::int as n, true as heavy from generation group by user_id order by count(*) desc limit 5)
     union all
     (select user_id, n, false from (select user_id, count(*)::int as n from generation group by user_id) t
       where n between 20 and 200 order by md5(user_id) limit 50)`,
  );
  const cases: Case[] = [];
  for (const u of users) {
    const { rows } = await pool.query<{ created_at: Date; id: string }>(
      'select created_at, id from generation where user_id = $1 order by created_at desc, id desc offset $2 limit 1',
      [u.user_id, Math.floor(u.n / 2)],
    );
    const tier = u.heavy ? 'heavy' : 'light';
    cases.push({ kind: `${tier} first`, userId: u.user_id });
    cases.push({ kind: `${tier} deep`, userId: u.user_id, cursor: { createdAt: rows[0]!.created_at, id: rows[0]!.id } });
  }
  return cases;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const db = await freshDatabase('genonaut_bench_history');
const pool = createPool(db.url, { max: 1 });
try {
  const seedStart = performance.now();
  const client = await pool.connect();
  await seedGenerations(client, rowCount, userCount);
  client.release();
  const seedMs = performance.now() - seedStart;
  const analyzeStart = performance.now();
  await pool.query('vacuum analyze generation');
  const analyzeMs = performance.now() - analyzeStart;

  const cases = await pickCases(pool);
  const { rows: [shape] } = await pool.query<{ users: number; top: number; median: number; size: string }>(
    `select count(*)::int as users, max(n)::int as top, percentile_disc(0.5) within group (order by n)::int as median,
       pg_size_pretty(pg_total_relation_size('generation')) as size
     from (select count(*) as n from generation group by user_id) t`,
  );
  const repo = new GenerationRepository(asDb(pool));

  for (const c of cases.slice(0, 40)) await Promise.all([anchor(pool, c), ours(repo, c)]); // warm-up, not counted

  const samples = { anchor: new Map<string, number[]>(), ours: new Map<string, number[]>() };
  const record = (side: 'anchor' | 'ours', kind: string, ms: number) => {
    for (const key of [kind, 'all']) {
      if (!samples[side].has(key)) samples[side].set(key, []);
      samples[side].get(key)!.push(ms);
    }
  };
  for (let i = 0; i < sampleCount; i++) {
    const c = cases[i % cases.length]!;
    const a = () => timed(() => anchor(pool, c)).then((ms) => record('anchor', c.kind, ms));
    const o = () => timed(() => ours(repo, c)).then((ms) => record('ours', c.kind, ms));
    if (i % 2 === 0) await a().then(o);
    else await o().then(a);
  }

  console.log(`history page (limit ${pageLimit}) at ${rowCount.toLocaleString('en')} generations, ${shape!.users} users (heaviest ${shape!.top} rows, median ${shape!.median}), table + indexes ${shape!.size}`);
  console.log(`setup: seed ${(seedMs / 1000).toFixed(1)} s (one INSERT … generate_series), vacuum analyze ${(analyzeMs / 1000).toFixed(1)} s`);
  console.log(`${sampleCount} samples each, anchor and ours alternating, one pooled connection (ms)`);
  for (const kind of ['all', 'heavy first', 'heavy deep', 'light first', 'light deep']) {
    const a = summarize(samples.anchor.get(kind) ?? []);
    const o = summarize(samples.ours.get(kind) ?? []);
    console.log(formatSummary(`anchor (bare SQL), ${kind}`, a));
    console.log(formatSummary(`genonaut historyPage, ${kind}`, o));
    console.log(`  ratio p50 ${(o.p50 / a.p50).toFixed(2)}×, p99 ${(o.p99 / a.p99).toFixed(2)}×${kind === 'all' ? ` (goal p99 ≤ 1.5× and < 10 ms: ${o.p99 <= 1.5 * a.p99 && o.p99 < 10 ? 'met' : 'NOT met'})` : ''}`);
  }

  const deep = cases.find((c) => c.kind === 'heavy deep')!;
  const { rows: plan } = await pool.query(`explain (analyze, buffers) ${anchorSql(true)}`, [deep.userId, deep.cursor!.createdAt, deep.cursor!.id]);
  console.log(`\nEXPLAIN (ANALYZE, BUFFERS), deep page of the heaviest user:`);
  for (const row of plan) console.log(`  ${row['QUERY PLAN']}`);
} finally {
  await pool.end();
  await db.drop();
}
process.exit(0);
