import type { SqlStatement } from '#shared/db/pool.ts';
import type { LimitScope } from '#shared/db/entities/limit-policy.ts';
import type { Member, PolicyValues } from './policy.ts';

// Every statement the limiter runs. A library rate limiter (Redis- or memory-backed) cannot take
// part in the enqueue transaction, so a refused or rolled-back request could still consume, or a
// committed one escape counting; these statements run inside that transaction instead. The hot ones
// are named (prepared once per connection): parsing and planning cost more than running them.

const policyColumns = `scope, guild_id as "guildId", subject_id as "subjectId", per_minute as "perMinute", per_hour as "perHour",
  per_day as "perDay", max_active as "maxActive", max_batch as "maxBatch", max_steps as "maxSteps", max_pixels as "maxPixels", blocked`;

const usageColumns = `user_id as "userId", minute_start as "minuteStart", minute_count as "minuteCount", hour_start as "hourStart",
  hour_count as "hourCount", day_start as "dayStart", day_count as "dayCount", active`;

/** The policy rows that may apply to any of `members` (resolveLimits picks per member). */
export function policiesFor(members: readonly Member[]): SqlStatement {
  const guilds = [...new Set(members.map((m) => m.guildId).filter((g): g is string => g !== null))];
  return {
    text: `select ${policyColumns} from limit_policy
      where scope = 'global'
        or (scope = 'guild' and guild_id = any($1::text[]))
        or (scope = 'role' and guild_id = any($1::text[]) and subject_id = any($2::text[]))
        or (scope = 'user' and subject_id = any($3::text[]))`,
    values: [guilds, [...new Set(members.flatMap((m) => m.roleIds))], [...new Set(members.map((m) => m.userId))]],
    name: 'limits.policies',
  };
}

export interface ConsumeRow {
  userId: string;
  images: number;
  perMinute: number;
  perHour: number;
  perDay: number;
  maxActive: number;
}

export interface ConsumeResult {
  userId: string;
  admitted: boolean;
  /** The user's requests queued or running before this one (null when refused). */
  activeBefore: number | null;
  /** Requests waiting in line when the check ran. */
  waiting: number;
  /** The limiter's clock for this check: the windows it counted in. */
  now: Date;
}

type Window = 'minute' | 'hour' | 'day';
/** SQL expressions giving one request's caps (parameters, or a lookup by the conflicting user). */
interface CapsSql {
  perMinute: string;
  perHour: string;
  perDay: string;
  maxActive: string;
}

const upsertColumns = 'user_id, minute_start, minute_count, hour_start, hour_count, day_start, day_count, active, updated_at';
const proposed = (user: string, images: string, t: string) =>
  `${user}, date_trunc('minute', ${t}, 'UTC'), ${images}, date_trunc('hour', ${t}, 'UTC'), ${images}, date_trunc('day', ${t}, 'UTC'), ${images}, 1, ${t}`;
// A user without a row yet: the request fits if it fits an empty window (and the line has room).
const fitsEmpty = (images: string, caps: CapsSql) =>
  `(${caps.perMinute} = 0 or ${images} <= ${caps.perMinute}) and (${caps.perHour} = 0 or ${images} <= ${caps.perHour}) and (${caps.perDay} = 0 or ${images} <= ${caps.perDay})`;
const counted = (w: Window) => `(case when u.${w}_start = excluded.${w}_start then u.${w}_count else 0 end)`;
const fits = (w: Window, cap: string) => `(${cap} = 0 or ${counted(w)} + excluded.${w}_count <= ${cap})`;
const roll = (w: Window) => `${w}_start = excluded.${w}_start, ${w}_count = ${counted(w)} + excluded.${w}_count`;
// An existing row: locked by the conflict, windows that have ended count from zero, updated only if all fit.
const consumeOnConflict = (caps: CapsSql) => `on conflict (user_id) do update set ${roll('minute')}, ${roll('hour')}, ${roll('day')},
    active = u.active + 1, updated_at = excluded.updated_at
  where ${fits('minute', caps.perMinute)} and ${fits('hour', caps.perHour)} and ${fits('day', caps.perDay)}
    and (${caps.maxActive} = 0 or u.active < ${caps.maxActive})
  returning u.user_id, u.active`;
const clockSql = `date_trunc('milliseconds', coalesce($7::timestamptz, now()))`;
const lineSql = `(select coalesce(sum(waiting), 0)::int from queue_waiting)`;

/**
 * The atomic check-and-consume: one upsert of each user's usage row. It takes the row lock, rolls
 * every window that has ended, and counts the images and one more active request only if every
 * window, the user's active cap and the line cap allow it. Concurrent requests of one user queue on
 * the row lock and each sees the one before it, so no interleaving admits more than the limit.
 * Rows are locked in user-id order (no deadlock between transactions); each user at most once per
 * statement. `now` null = the database's clock. Results come back in the order of `rows`.
 */
export function consume(rows: readonly ConsumeRow[], now: Date | null, maxWaiting: number): SqlStatement {
  return rows.length === 1 ? consumeOne(rows[0]!, now, maxWaiting) : consumeMany(rows, now, maxWaiting);
}

/** The common case, one request: plain parameters, about half the cost of the general form. */
function consumeOne(row: ConsumeRow, now: Date | null, maxWaiting: number): SqlStatement {
  const caps = { perMinute: '$3::int', perHour: '$4::int', perDay: '$5::int', maxActive: '$6::int' };
  return {
    text: `with c as (select ${clockSql} as t, ${lineSql} as waiting),
      taken as (
        insert into user_usage as u (${upsertColumns})
        select ${proposed('$1::text', '$2::int', 'c.t')} from c
        where ($8::int = 0 or c.waiting < $8::int) and ${fitsEmpty('$2::int', caps)}
        ${consumeOnConflict(caps)}
      )
      select $1::text as "userId", t.user_id is not null as admitted, t.active - 1 as "activeBefore", c.waiting, c.t as now
      from c left join taken t on true`,
    values: [row.userId, row.images, row.perMinute, row.perHour, row.perDay, row.maxActive, now, maxWaiting],
    name: 'limits.consume-one',
  };
}

function consumeMany(rows: readonly ConsumeRow[], now: Date | null, maxWaiting: number): SqlStatement {
  return {
    text: `with ${consumeManyCtes()}
      select r.user_id as "userId", t.user_id is not null as admitted, t.active - 1 as "activeBefore", c.waiting, c.t as now
      from req r cross join c left join taken t on t.user_id = r.user_id
      order by r.ord`,
    values: consumeManyValues(rows, now, maxWaiting),
    name: 'limits.consume',
  };
}

/**
 * The general consume's CTEs, parameters $1–$8 (consumeManyValues): req (the requests, ord from
 * 1 in the order of rows), c (clock t and line waiting), taken (the admitted users, with
 * their active count including this request). For a statement that acts on its admissions in the
 * same round trip (enqueueStatement); the same rules as consume.
 */
export function consumeManyCtes(): string {
  const of = (field: string) => `(select r.${field} from req r where r.user_id = excluded.user_id)`;
  const own = { perMinute: 'r.per_minute', perHour: 'r.per_hour', perDay: 'r.per_day', maxActive: 'r.max_active' };
  return `req as (
        select * from unnest($1::text[], $2::int[], $3::int[], $4::int[], $5::int[], $6::int[]) with ordinality
          as r(user_id, images, per_minute, per_hour, per_day, max_active, ord)
      ),
      c as (select ${clockSql} as t, ${lineSql} as waiting),
      taken as (
        insert into user_usage as u (${upsertColumns})
        select ${proposed('r.user_id', 'r.images', 'c.t')} from req r, c
        where ($8::int = 0 or c.waiting < $8::int) and ${fitsEmpty('r.images', own)}
        order by r.user_id
        ${consumeOnConflict({ perMinute: of('per_minute'), perHour: of('per_hour'), perDay: of('per_day'), maxActive: of('max_active') })}
      )`;
}

export function consumeManyValues(rows: readonly ConsumeRow[], now: Date | null, maxWaiting: number): unknown[] {
  const col = <K extends keyof ConsumeRow>(k: K) => rows.map((r) => r[k]);
  return [col('userId'), col('images'), col('perMinute'), col('perHour'), col('perDay'), col('maxActive'), now, maxWaiting];
}

export function usageOf(userIds: readonly string[]): SqlStatement {
  return { text: `select ${usageColumns} from user_usage where user_id = any($1::text[])`, values: [userIds] };
}

/** Requests waiting in line, and the limiter's clock (`now` null = the database's). */
export function lineNow(now: Date | null): SqlStatement {
  return {
    text: `select coalesce(sum(waiting), 0)::int as waiting, date_trunc('milliseconds', coalesce($1::timestamptz, now())) as now from queue_waiting`,
    values: [now],
  };
}

/** Adds to one shard of the waiting counter; callers spread their updates over the shards. */
export function addWaiting(shard: number, delta: number): SqlStatement {
  return {
    text: `insert into queue_waiting (shard, waiting) values ($1, $2) on conflict (shard) do update set waiting = queue_waiting.waiting + excluded.waiting`,
    values: [shard, delta],
    name: 'limits.add-waiting',
  };
}

/**
 * A request of the user is no longer queued or running (`release` 1) and/or gives `refund` images
 * back to the windows they were counted in (`chargedAt`); a window that has since ended keeps its count.
 */
export function releaseUsage(userId: string, release: number, refund: number, chargedAt: Date): SqlStatement {
  const give = (w: Window) =>
    `${w}_count = case when ${w}_start = date_trunc('${w}', $4::timestamptz, 'UTC') then greatest(${w}_count - $3::int, 0) else ${w}_count end`;
  return {
    text: `update user_usage set active = greatest(active - $2::int, 0), ${give('minute')}, ${give('hour')}, ${give('day')}
      where user_id = $1`,
    values: [userId, release, refund, chargedAt],
    name: 'limits.release',
  };
}

/** Usage rows with nothing left to remember: no active request, and every window over. */
export function pruneUsage(now: Date | null): SqlStatement {
  return {
    text: `delete from user_usage where active = 0 and day_start < date_trunc('day', coalesce($1::timestamptz, now()), 'UTC')`,
    values: [now],
  };
}

/** For the wait estimate: the typical run of the last 50 finished requests, and the servers that are up. */
export function waitInputs(): SqlStatement {
  return {
    text: `select
        (select avg(extract(epoch from finished_at - started_at)) from (
          select started_at, finished_at from generation where status = 'succeeded' and started_at is not null
          order by created_at desc limit 50) r)::float8 as "recentRunSeconds",
        (select count(*) from comfy_instance where enabled and health <> 'unhealthy')::int as "serversUp"`,
    values: [],
  };
}

/** One scope's policy row, locked for an audited change (none = nothing set at that scope). */
export function lockPolicy(scope: LimitScope, guildId: string, subjectId: string): SqlStatement {
  return {
    text: `select ${policyColumns} from limit_policy where scope = $1 and guild_id = $2 and subject_id = $3 for update`,
    values: [scope, guildId, subjectId],
  };
}

/** Creates a scope's (empty) row if missing, so concurrent first writes serialise on its lock. */
export function ensurePolicy(scope: LimitScope, guildId: string, subjectId: string): SqlStatement {
  return {
    text: `insert into limit_policy (scope, guild_id, subject_id) values ($1, $2, $3) on conflict (scope, guild_id, subject_id) do nothing`,
    values: [scope, guildId, subjectId],
  };
}

/** Writes every field of a scope's row; a row with nothing set is deleted (the wider scopes decide). */
export function writePolicyValues(scope: LimitScope, guildId: string, subjectId: string, v: PolicyValues): SqlStatement {
  const values = [v.perMinute, v.perHour, v.perDay, v.maxActive, v.maxBatch, v.maxSteps, v.maxPixels, v.blocked];
  if (values.every((x) => x === null)) {
    return { text: `delete from limit_policy where scope = $1 and guild_id = $2 and subject_id = $3`, values: [scope, guildId, subjectId] };
  }
  return {
    text: `update limit_policy set per_minute = $4, per_hour = $5, per_day = $6, max_active = $7, max_batch = $8, max_steps = $9,
        max_pixels = $10, blocked = $11, updated_at = now()
      where scope = $1 and guild_id = $2 and subject_id = $3`,
    values: [scope, guildId, subjectId, ...values],
  };
}
