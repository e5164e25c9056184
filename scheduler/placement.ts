import { randomInt, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type pg from 'pg';
import { withTransaction, type Db, type SqlStatement } from '#shared/db/pool.ts';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { claimSlot, claimSlotSeparator, installClaimSlot } from '#shared/db/sql/claim-slot.ts';
import { placementCandidates, type InstanceRow } from '#shared/db/sql/instances.ts';
import { waitingShards } from '#shared/limits/counters.ts';
import { selectInstance, type InstanceCandidate, type Placement } from '#shared/scheduling/select-instance.ts';

export interface Claim {
  generation: GenerationRow;
  instance: InstanceRow;
}

type Candidate = InstanceCandidate & InstanceRow;

/** Something to wake when a claim succeeded (SlotSignal): a slot may still be free for another waiter. */
export interface ClaimWaker {
  passOn(): void;
}

// An instance found full under its lock (its count was stale) or with nothing it can run: try the
// next free one, a few times at most.
const instancesTriedPerClaim = 3;
// Every free instance was being claimed by someone else: look again this soon (their claims take a
// few ms), a few times, rather than wait for their row locks (a convoy) or miss a slot until the
// next wake-up.
const contendedRetries = 2;
const contendedDelayMs = 10;
// A function this database does not have (the claim function of a version not run here before).
const undefinedFunction = '42883';

/**
 * Gives a free slot to the most deserving waiting generation — whichever job's it is — and, in the
 * same transaction, marks it running there under `jobId` with a fresh prompt id, stored BEFORE
 * anything is submitted so a crash can always be resumed from it. Whoever has a free slot decides,
 * in SQL, across every scheduler process: the slot never goes to whichever job happened to poll first.
 * A claim row-locks the one instance it fills (skipping those others are filling) and re-counts its
 * work under that lock, so claims on different instances, in any process, never wait for each other.
 * Undefined: no free slot, or nothing waiting fits one. On success `waker` wakes one more waiter.
 */
export async function claimNextWaiting(pool: pg.Pool, jobId: string, waker?: ClaimWaker): Promise<Claim | undefined> {
  for (let retry = 0; ; retry++) {
    const claim = await claimAttempt(pool, jobId);
    if (claim !== 'contended' || retry >= contendedRetries) {
      if (claim && claim !== 'contended') waker?.passOn();
      return claim === 'contended' ? undefined : claim;
    }
    await delay(contendedDelayMs);
  }
}

/**
 * One claim attempt, one round trip: the claim function (claim-slot.ts) locks a free instance, counts
 * its work again under the lock, takes the most deserving request it can run and marks it running,
 * trying up to `instancesTriedPerClaim` instances, all in the statement's own transaction. Creates
 * the function first when this database does not have this version's yet.
 */
async function claimAttempt(pool: pg.Pool, jobId: string): Promise<Claim | 'contended' | undefined> {
  const stmt = claimSlot(jobId, randomUUID(), instancesTriedPerClaim, randomInt(waitingShards));
  const query = { name: stmt.name, text: stmt.text, values: stmt.values, rowMode: 'array' as const };
  const result = await pool.query<unknown[]>(query).catch(async (err: unknown) => {
    if ((err as { code?: string }).code !== undefinedFunction) throw err;
    await withTransaction(pool, async (db) => {
      for (const install of installClaimSlot()) await db.executeSql(install.text, install.values);
    });
    return pool.query<unknown[]>(query);
  });
  const [row] = result.rows;
  const outcome = row![0] as 'claimed' | 'contended' | 'none';
  if (outcome !== 'claimed') return outcome === 'contended' ? 'contended' : undefined;
  const names = result.fields.map((f) => f.name);
  const separator = names.indexOf(claimSlotSeparator);
  const record = (from: number, to: number) => Object.fromEntries(names.slice(from, to).map((name, k) => [name, row![from + k]]));
  return { generation: record(1, separator) as unknown as GenerationRow, instance: record(separator + 1, names.length) as unknown as InstanceRow };
}

export type Outlook = Extract<Placement, { ok: false }>['reason'] | 'placeable';

/**
 * Why a waiting generation is not running yet (read only): no instance has its models (it will
 * never run), the ones that have them are down (probe them), or they are busy (wait).
 */
export async function outlookOf(db: Db, g: GenerationRow): Promise<{ outlook: Outlook; unhealthy: { id: number; baseUrl: string }[] }> {
  const candidates = await rows<Candidate>(db, placementCandidates(modelsOf(g), g.workflowVersionId ?? null));
  const placement = selectInstance(candidates, g.checkpoint);
  const unhealthy = candidates.filter((r) => r.hasModels && r.health === 'unhealthy').map((r) => ({ id: r.id, baseUrl: r.baseUrl }));
  return { outlook: placement.ok ? 'placeable' : placement.reason, unhealthy };
}

function modelsOf(g: GenerationRow) {
  return [
    { kind: 'checkpoint', fileName: g.checkpoint },
    ...g.loras.map((l) => ({ kind: 'lora', fileName: l.name })),
    ...(g.vae ? [{ kind: 'vae', fileName: g.vae }] : []),
  ];
}

async function rows<T extends pg.QueryResultRow>(db: Db, stmt: SqlStatement): Promise<T[]> {
  return (await db.executeSql<T>(stmt.text, stmt.values, stmt.name)).rows;
}
