import type Router from '@koa/router';
import type { QueryResultRow } from 'pg';
import type { Db } from '#shared/db/pool.ts';
import { validate } from '../middleware/validate.ts';
import { apiPrefix, newRouter } from '../routing.ts';
import { statsQuery } from '../schemas/stats-schemas.ts';
import { countsBy, durationPercentiles, queueNow, type DurationRow, type GroupCountRow, type QueueRow, type StatsDimension } from '../sql/stats.ts';

export interface StatsRouterDeps {
  db: Db;
}

const dimensions: StatsDimension[] = ['status', 'model', 'instance', 'guild'];
const defaultWindowMs = 24 * 3600_000;

/** Share of the finished (succeeded + failed) that succeeded; cancelled ones are neither. Null when none finished. */
export function withRates(row: GroupCountRow): GroupCountRow & { successRate: number | null; failureRate: number | null } {
  const finished = row.succeeded + row.failed;
  return { ...row, successRate: finished ? row.succeeded / finished : null, failureRate: finished ? row.failed / finished : null };
}

/** `GET /api/v1/stats?since=`: what happened since then (default: the last 24 h) and the line now. */
export function statsRouter({ db }: StatsRouterDeps): Router {
  const router = newRouter();
  router.get(`${apiPrefix}/stats`, validate('query', statsQuery), async (ctx) => {
    const since = ctx.state.query.since ?? new Date(Date.now() - defaultWindowMs);
    const run = async <T extends QueryResultRow>(stmt: { text: string; values: unknown[] }) => (await db.executeSql<T>(stmt.text, stmt.values)).rows;
    const [groups, [queue], [durations]] = await Promise.all([
      Promise.all(dimensions.map((d) => run<GroupCountRow>(countsBy(d, since)))),
      run<QueueRow>(queueNow()),
      run<DurationRow>(durationPercentiles(since)),
    ]);
    const by = Object.fromEntries(dimensions.map((d, i) => [d, groups[i]!.map(withRates)]));
    const total = groups[0]!.reduce((sum, r) => sum + r.total, 0);
    ctx.body = {
      since: since.toISOString(),
      total,
      byStatus: by.status,
      byModel: by.model,
      byInstance: by.instance,
      byGuild: by.guild,
      queue: queue!,
      seconds: { wait: { p50: durations!.waitP50, p95: durations!.waitP95 }, run: { p50: durations!.runP50, p95: durations!.runP95 } },
    };
  });
  return router;
}
