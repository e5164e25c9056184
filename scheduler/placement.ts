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

/** Wakes the next waiter (SlotSignal); `version` counts the signals received. */
export interface ClaimWaker {
  readonly version: number;
  passOn(): void;
}

/**
 * The caller's own generation, read by a claim that takes nothing (in the claim's statement, after
 * it): `row` is set then, and left undefined when the claim took a slot or the row is gone.
 */
export interface OwnRead {
  id: string;
  row?: GenerationRow;
}

/** The caller's generation whose current prompt ComfyUI reported finished: its slot is given up in the claim's transaction. */
export interface FinishedPrompt {
  id: string;
  promptId: string;
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

const deadlockDetected = '40P01';
const deadlockRetries = 3;

/**
 * Gives a free slot to the most deserving waiting generation — whichever job's it is — and, in the
 * same transaction, marks it running there under `jobId` with a fresh prompt id, stored BEFORE
 * anything is submitted so a crash can always be resumed from it. Whoever has a free slot decides,
 * in SQL, across every scheduler process: the slot never goes to whichever job happened to poll first.
 * A claim row-locks the one instance it fills (skipping those others are filling) and re-counts its
 * work under that lock, so claims on different instances, in any process, never wait for each other.
 * Undefined: no free slot, or nothing waiting fits one. `finished`: the caller's own prompt that
 * ComfyUI reported finished, its slot given up in the same transaction (and not announced to other
 * waiters: this claim looks at it first; the function announces it when it takes no slot).
 *
 * When to wake the next waiter (`waker`), so that a free slot with waiting work is never left to the
 * fallback poll, yet no waiter is woken for nothing. Every change that frees a slot or adds work
 * either commits a NOTIFY (one waiter wakes and claims, in a snapshot after that commit) or is this
 * claim's own mark (seen by its own statements). A claim covers what its snapshot saw: if it took a
 * slot and reports `more` (another instance was free with work, or its instance has room and more
 * fits it), the next waiter looks. What the snapshot may have missed arrived as a signal during the
 * claim (its NOTIFY follows its commit): a signal received since `version` was read before the claim
 * is passed on too. A claim that took nothing passes nothing on: its caller waits from the version read
 * before the claim (SlotSignal.wait returns at once when it moved) and so looks again itself.
 */
export async function claimNextWaiting(pool: pg.Pool, jobId: string, waker?: ClaimWaker, finished?: FinishedPrompt, own?: OwnRead): Promise<Claim | undefined> {
  const since = waker?.version;
  if (own) own.row = undefined;
  for (let retry = 0, deadlocks = 0; ; retry++) {
    // The mark goes with the first attempt only (it commits whatever the attempt finds).
    const result = await claimAttempt(pool, jobId, retry === 0 ? finished : undefined, own).catch((err: unknown) => {
      // Two claims each waiting for a row the other locked (an instance, a queued request, a finished
      // prompt's row): Postgres aborts one, and nothing of it happened. Run it again, mark included,
      // rather than failing the job into pg-boss's retry delay.
      if ((err as { code?: string }).code !== deadlockDetected || ++deadlocks > deadlockRetries) throw err;
      retry--;
      return 'deadlock' as const;
    });
    if (result === 'deadlock') continue;
    if (result !== 'contended' || retry >= contendedRetries) {
      if (!result || result === 'contended') return undefined;
      if (result.more || waker?.version !== since) waker?.passOn();
      if (own) own.row = undefined;
      return result.claim;
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
async function claimAttempt(pool: pg.Pool, jobId: string, finished?: FinishedPrompt, own?: OwnRead): Promise<{ claim: Claim; more: boolean } | 'contended' | undefined> {
  const stmt = claimSlot(jobId, randomUUID(), instancesTriedPerClaim, randomInt(waitingShards), finished, own?.id);
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
  const names = result.fields.map((f) => f.name);
  const separator = names.indexOf(claimSlotSeparator);
  const record = (from: number, to: number) => Object.fromEntries(names.slice(from, to).map((name, k) => [name, row![from + k]]));
  if (outcome !== 'claimed') {
    // generationColumns start with id: null when the row is gone (or none was asked for).
    if (own && row![2] !== null) own.row = record(2, separator) as unknown as GenerationRow;
    return outcome === 'contended' ? 'contended' : undefined;
  }
  return {
    claim: { generation: record(2, separator) as unknown as GenerationRow, instance: record(separator + 1, names.length) as unknown as InstanceRow },
    more: row![1] === true,
  };
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
