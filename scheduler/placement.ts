import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { withTransaction } from '#shared/db/pool.ts';
import { GenerationRepository, type GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { lockPlacements, placementCandidates, type InstanceRow } from '#shared/db/sql/instances.ts';
import { selectInstance, type InstanceCandidate, type Placement } from '#shared/scheduling/select-instance.ts';


export type Claim =
  | { ok: true; generation: GenerationRow; instance: InstanceRow }
  | (Extract<Placement, { ok: false }> & { generation?: undefined; unhealthy: { id: number; baseUrl: string }[] });

/**
 * Picks an instance with a free slot and, in the same transaction, marks the generation running
 * there with a fresh prompt id — stored BEFORE anything is submitted, so a crash can always be
 * resumed from it.
 */
export async function claimSlot(pool: pg.Pool, g: GenerationRow, jobId: string, exclude: number[] = []): Promise<Claim> {
  const models = [
    { kind: 'checkpoint', fileName: g.checkpoint },
    ...g.loras.map((l) => ({ kind: 'lora', fileName: l.name })),
    ...(g.vae ? [{ kind: 'vae', fileName: g.vae }] : []),
  ];
  return withTransaction(pool, async (db) => {
    await db.executeSql(lockPlacements().text, lockPlacements().values);
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
