import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { withTransaction, type Db, type SqlStatement } from '#shared/db/pool.ts';
import { GenerationRepository, type GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { placementCandidates, type InstanceRow } from '#shared/db/sql/instances.ts';
import { countUpInstances, lockUpInstances, slotOffers, type SlotOffer } from '#shared/db/sql/slots.ts';
import { selectInstance, type InstanceCandidate, type Placement } from '#shared/scheduling/select-instance.ts';

export interface Claim {
  generation: GenerationRow;
  instance: InstanceRow;
}

type Candidate = InstanceCandidate & InstanceRow;

/**
 * Gives a free slot to the most deserving waiting generation — whichever job's it is — and, in the
 * same transaction, marks it running there under `jobId` with a fresh prompt id, stored BEFORE
 * anything is submitted so a crash can always be resumed from it. Whoever has a free slot decides,
 * in SQL, across every scheduler process: the slot never goes to whichever job happened to poll first.
 * Undefined: no free slot, or nothing waiting fits one.
 */
export async function claimNextWaiting(pool: pg.Pool, jobId: string): Promise<Claim | undefined> {
  const first = await claimAttempt(pool, jobId, true);
  // Every instance that could have a free slot was being claimed by someone else: wait the few ms
  // for their locks rather than miss a slot until the next wake-up.
  return first === 'contended' ? ((await claimAttempt(pool, jobId, false)) as Claim | undefined) : first;
}

async function claimAttempt(pool: pg.Pool, jobId: string, skipLocked: boolean): Promise<Claim | 'contended' | undefined> {
  return withTransaction(pool, async (db) => {
    const locked = (await rows<{ id: number }>(db, lockUpInstances(skipLocked))).map((r) => r.id);
    const offers = locked.length > 0 ? await rows<SlotOffer>(db, slotOffers(locked)) : [];
    const free = offers.filter((i) => i.inFlight < i.maxQueueDepth);
    if (free.length === 0) {
      if (!skipLocked) return undefined;
      const [count] = await rows<{ n: number }>(db, countUpInstances());
      return count!.n > locked.length ? 'contended' : undefined;
    }
    const waitingId = free[0]!.waitingId;
    if (!waitingId) return undefined;
    // Which of the free (locked) instances: least loaded, then the one with the checkpoint warm.
    const placement = selectInstance(free, free[0]!.waitingCheckpoint!);
    if (!placement.ok) return undefined;
    const generation = await new GenerationRepository(db).transition(
      waitingId,
      'running',
      { comfyInstanceId: placement.instanceId, comfyPromptId: randomUUID(), generateJobId: jobId, progress: 0, incrementAttempts: true },
      ['queued'],
    );
    const { inFlight: _inFlight, hasModels: _hasModels, waitingId: _w, waitingCheckpoint: _c, ...instance } = free.find((i) => i.id === placement.instanceId)!;
    return { generation, instance };
  });
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
