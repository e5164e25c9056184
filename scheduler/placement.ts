import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { withTransaction } from '#shared/db/pool.ts';
import { GenerationRepository, type GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { placementCandidates, type InstanceRow } from '#shared/db/sql/instances.ts';
import { holdIfPaused } from '#shared/moderation/sql.ts';
import { selectInstance, type InstanceCandidate, type Placement } from '#shared/scheduling/select-instance.ts';

// Serialises slot claims across every scheduler process; held only for the few ms of one transaction.
const placementLockKey = '726354198114';

export type Claim =
  | { ok: true; generation: GenerationRow; instance: InstanceRow }
  /** Its guild is paused: the generation is now held (queued, no job) until /genadmin resume. */
  | { ok: false; reason: 'held'; generation?: undefined; unhealthy: [] }
  | (Extract<Placement, { ok: false }> & { generation?: undefined; unhealthy: { id: number; baseUrl: string }[] });

/**
 * Picks an instance with a free slot and, in the same transaction, marks the generation running
 * there with a fresh prompt id — stored BEFORE anything is submitted, so a crash can always be
 * resumed from it. A generation of a paused guild is held instead, and its job ends without it.
 */
export async function claimSlot(pool: pg.Pool, g: GenerationRow, jobId: string, exclude: number[] = []): Promise<Claim> {
  const models = [
    { kind: 'checkpoint', fileName: g.checkpoint },
    ...g.loras.map((l) => ({ kind: 'lora', fileName: l.name })),
    ...(g.vae ? [{ kind: 'vae', fileName: g.vae }] : []),
  ];
  return withTransaction(pool, async (db) => {
    if (g.guildId) {
      const hold = holdIfPaused(g.id, g.guildId);
      if ((await db.executeSql(hold.text, hold.values, hold.name)).rowCount) return { ok: false, reason: 'held', unhealthy: [] };
    }
    await db.executeSql('select pg_advisory_xact_lock($1)', [placementLockKey]);
    const stmt = placementCandidates(models);
    const { rows } = await db.executeSql<InstanceCandidate & InstanceRow>(stmt.text, stmt.values);
    const placement = selectInstance(rows.filter((r) => !exclude.includes(r.id)), g.checkpoint);
    if (!placement.ok) {
      const unhealthy = rows.filter((r) => r.hasModels && r.health === 'unhealthy').map((r) => ({ id: r.id, baseUrl: r.baseUrl }));
      return { ...placement, unhealthy };
    }
    const generation = await new GenerationRepository(db).transition(
      g.id,
      'running',
      { comfyInstanceId: placement.instanceId, comfyPromptId: randomUUID(), generateJobId: jobId, progress: 0, incrementAttempts: true },
      ['queued'],
    );
    const { inFlight: _inFlight, hasModels: _hasModels, ...instance } = rows.find((r) => r.id === placement.instanceId)!;
    return { ok: true, generation, instance };
  });
}
