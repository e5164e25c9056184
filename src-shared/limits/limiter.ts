import type { Db } from '#shared/db/pool.ts';
import { checkRequest, explainRefusal, type RequestShape } from './check-request.ts';
import { noLimits, resolveLimits, type Limits, type Member, type PolicyRow } from './policy.ts';
import { quotaOf, type Quota } from './quota.ts';
import type { Refusal } from './refusal.ts';
import { consume, consumeManyValues, lineNow, policiesFor, usageOf, waitInputs, type ConsumeResult, type ConsumeRow } from './sql.ts';
import { estimateWaitSeconds } from './wait-estimate.ts';
import type { UsageRow } from './windows.ts';

export interface LimiterSettings {
  /** Limits when no policy row sets a field (configuration: LIMIT_*). */
  defaults: Limits;
  /** Refuse new requests while this many wait in line (QUEUE_MAX_WAITING); 0 = no cap. */
  maxWaiting: number;
}

export type LimitRequest = Member & RequestShape;

/** Limiter.planConsume: decided holds the refusals made before counting; values are consumeManyCtes' parameters for pending. */
export interface ConsumePlan {
  decided: readonly (Admission | undefined)[];
  pending: readonly number[];
  values: unknown[];
}

export type Admission =
  | { ok: true; chargedAt: Date; activeBefore: number; waiting: number }
  | { ok: false; refusal: Refusal; now: Date };

/**
 * Check-and-consume for the enqueue transaction (DESIGN §3 usage, §4.1). Every consume must run inside
 * the transaction that creates the generations it admits, so a rollback gives everything back
 * (admit inside it; or planConsume's values in the enqueue's one statement, then settle).
 */
export class Limiter {
  readonly #settings: LimiterSettings;
  readonly #clock: (() => Date) | undefined;

  /** `clock` for tests; without it the database's clock decides the windows. */
  constructor(settings: LimiterSettings, clock?: () => Date) {
    this.#settings = settings;
    this.#clock = clock;
  }

  /** Counts requests (active, line) but caps nothing. */
  static unlimited(): Limiter {
    return new Limiter({ defaults: noLimits, maxWaiting: 0 });
  }

  async limitsFor(db: Db, members: readonly Member[]): Promise<Limits[]> {
    const stmt = policiesFor(members);
    const rows = (await db.executeSql<PolicyRow>(stmt.text, stmt.values, stmt.name)).rows;
    return members.map((m) => resolveLimits(this.#settings.defaults, rows, m));
  }

  /**
   * Admits or refuses each request, in order; admitted ones are counted against their windows and
   * as active. Several requests of one user are checked one after another, each seeing the others.
   *
   * `policies`: the requests' limits (limitsFor), when the caller read them beforehand, e.g. on
   * another connection while its transaction began (one round trip fewer in the enqueue). That is
   * safe: policies are configuration, and nothing here relies on reading them inside the
   * transaction. Read inside it they were never locked either (read committed: a policy change could
   * commit just after the read, as it can just before). What keeps admissions within the caps is
   * the consume statement alone: it takes the user's usage row lock and checks the counts against
   * the caps it is given in that same statement, so concurrent requests of one user serialise on
   * that lock and each sees the ones admitted before it, wherever the caps were read.
   */
  async admit(db: Db, requests: readonly LimitRequest[], policies?: Limits[]): Promise<Admission[]> {
    const limits = policies ?? (await this.limitsFor(db, requests));
    const results = this.#precheck(requests, limits);
    const refused: { index: number; result: ConsumeResult }[] = [];
    for (const round of rounds(requests, results)) {
      const stmt = consume(this.#consumeRows(requests, limits, round), this.#clock?.() ?? null, this.#settings.maxWaiting);
      const out = (await db.executeSql<ConsumeResult>(stmt.text, stmt.values, stmt.name)).rows;
      refused.push(...this.#record(round, out, results));
    }
    if (refused.length) await this.#explain(db, requests, limits, refused, results);
    return results as Admission[];
  }

  /**
   * admit in two halves, for a caller that consumes in a statement of its own (consumeManyCtes with
   * these values, e.g. the enqueue's one statement): the requests refused before counting anything,
   * and the consume parameters for the rest (pending, in that order). Null when a user appears
   * twice among them (one consume counts each user at most once: use admit).
   */
  planConsume(requests: readonly LimitRequest[], limits: Limits[]): ConsumePlan | null {
    const decided = this.#precheck(requests, limits);
    const [pending = [], ...more] = rounds(requests, decided);
    if (more.length) return null;
    return { decided, pending, values: consumeManyValues(this.#consumeRows(requests, limits, pending), this.#clock?.() ?? null, this.#settings.maxWaiting) };
  }

  /** The second half: the consume's results (in the order of plan.pending) as admissions; refusals explained with db. */
  async settle(db: Db, requests: readonly LimitRequest[], limits: Limits[], plan: ConsumePlan, out: readonly ConsumeResult[]): Promise<Admission[]> {
    const results = [...plan.decided];
    const refused = this.#record(plan.pending, out, results);
    if (refused.length) await this.#explain(db, requests, limits, refused, results);
    return results as Admission[];
  }

  #precheck(requests: readonly LimitRequest[], limits: Limits[]): (Admission | undefined)[] {
    return requests.map((r, i) => {
      const refusal = checkRequest(limits[i]!, r);
      return refusal ? { ok: false, refusal, now: this.#clock?.() ?? new Date() } : undefined;
    });
  }

  #consumeRows(requests: readonly LimitRequest[], limits: Limits[], indexes: readonly number[]): ConsumeRow[] {
    return indexes.map((i): ConsumeRow => ({ userId: requests[i]!.userId, images: requests[i]!.images, ...windowCaps(limits[i]!) }));
  }

  /** Records the admitted of one consume into results; returns the refused, still to explain. */
  #record(indexes: readonly number[], out: readonly ConsumeResult[], results: (Admission | undefined)[]) {
    const refused: { index: number; result: ConsumeResult }[] = [];
    indexes.forEach((index, k) => {
      const r = out[k]!;
      if (r.admitted) results[index] = { ok: true, chargedAt: r.now, activeBefore: r.activeBefore!, waiting: r.waiting };
      else refused.push({ index, result: r });
    });
    return refused;
  }

  /** What the member may still do now (for /quota). */
  async quota(db: Db, member: Member): Promise<Quota> {
    const [limits] = await this.limitsFor(db, [member]);
    const usage = await this.#usage(db, [member.userId]);
    const line = lineNow(this.#clock?.() ?? null);
    const { waiting, now } = (await db.executeSql<{ waiting: number; now: Date }>(line.text, line.values)).rows[0]!;
    return quotaOf(limits!, usage.get(member.userId), now, { waiting, cap: this.#settings.maxWaiting });
  }

  async #explain(db: Db, requests: readonly LimitRequest[], limits: Limits[], refused: { index: number; result: ConsumeResult }[], results: (Admission | undefined)[]) {
    const usage = await this.#usage(db, refused.map((r) => requests[r.index]!.userId));
    const cap = this.#settings.maxWaiting;
    let waitSeconds: number | null = null;
    if (cap && refused.some((r) => r.result.waiting >= cap)) {
      const stmt = waitInputs();
      const { recentRunSeconds, serversUp } = (await db.executeSql<{ recentRunSeconds: number | null; serversUp: number }>(stmt.text, stmt.values, stmt.name)).rows[0]!;
      waitSeconds = estimateWaitSeconds(refused[0]!.result.waiting, recentRunSeconds, serversUp);
    }
    for (const { index, result } of refused) {
      const req = requests[index]!;
      const refusal = explainRefusal(limits[index]!, req.images, usage.get(req.userId), result.now, { waiting: result.waiting, cap, waitSeconds });
      results[index] = { ok: false, refusal, now: result.now };
    }
  }

  async #usage(db: Db, userIds: string[]): Promise<Map<string, UsageRow>> {
    const stmt = usageOf([...new Set(userIds)]);
    const rows = (await db.executeSql<UsageRow & { userId: string }>(stmt.text, stmt.values, stmt.name)).rows;
    return new Map(rows.map((r) => [r.userId, r]));
  }
}

function windowCaps(l: Limits): Omit<ConsumeRow, 'userId' | 'images'> {
  return { perMinute: l.perMinute, perHour: l.perHour, perDay: l.perDay, maxActive: l.maxActive };
}

/** Indexes still to check, split so each user appears at most once per consume statement. */
function rounds(requests: readonly LimitRequest[], decided: readonly (Admission | undefined)[]): number[][] {
  const out: number[][] = [];
  const seen = new Map<string, number>();
  requests.forEach((r, i) => {
    if (decided[i]) return;
    const k = seen.get(r.userId) ?? 0;
    seen.set(r.userId, k + 1);
    (out[k] ??= []).push(i);
  });
  return out;
}
