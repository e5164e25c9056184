import type pg from 'pg';
import { asDb, withTransaction, type Db } from '#shared/db/pool.ts';
import { listInstances, type InstanceRow } from '#shared/db/sql/instances.ts';
import {
  insertDiscoveredModels,
  listModelsForDiscovery,
  lockModelDiscovery,
  updateDiscoveredModels,
  type DiscoveryModelRow,
} from '#shared/db/sql/models.ts';
import type { Logger } from '#shared/logging.ts';
import { ComfyClient } from '../client.ts';
import { loadInstanceAuthorizations } from '../instance-access.ts';
import { fetchInventory, type InventoryClient } from './inventory.ts';
import { planDiscovery, sameState, type InstanceInventory } from './plan.ts';
import { summarize, type DiscoverySummary, type UnreachableInstance } from './summary.ts';

export interface DiscoverOptions {
  pool: pg.Pool;
  logger: Logger;
  /** MODELS_ENABLE_NEW */
  enableNew: boolean;
  /** How to reach an instance (the scheduler passes its pooled clients); default: a new ComfyClient. */
  clientFor?: (instance: InstanceRow) => InventoryClient;
  /** Per instance, for all its calls together (default 60 s). */
  instanceTimeoutMs?: number;
  signal?: AbortSignal;
  /** Runs in the discovery's transaction once the changes are written (the admin API's audit row), so both commit or neither. */
  inTransaction?: (db: Db, summary: DiscoverySummary) => Promise<void>;
}

/**
 * Upserts the model table from every enabled instance, in one transaction. Only instances that
 * answered count: an unreachable one keeps its models and retires nothing.
 */
export async function discoverModels(opts: DiscoverOptions): Promise<DiscoverySummary> {
  const log = opts.logger.child({ task: 'discover-models' });
  const authorizations = opts.clientFor ? undefined : await loadInstanceAuthorizations(asDb(opts.pool));
  const clientFor = opts.clientFor
    ?? ((i: InstanceRow) => new ComfyClient({ baseUrl: i.baseUrl, authorization: authorizations?.get(i.baseUrl.replace(/\/+$/, '')), logger: log, retries: 2 }));
  const instances = (await asDb(opts.pool).executeSql<InstanceRow>(listInstances().text, [])).rows.filter((i) => i.enabled);

  const answered: InstanceInventory[] = [];
  const unreachable: UnreachableInstance[] = [];
  await Promise.all(
    instances.map(async (instance) => {
      const timeout = AbortSignal.timeout(opts.instanceTimeoutMs ?? 60_000);
      const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
      try {
        answered.push({ instanceId: instance.id, files: await fetchInventory(clientFor(instance), signal) });
      } catch (err) {
        opts.signal?.throwIfAborted();
        unreachable.push({ id: instance.id, name: instance.name, baseUrl: instance.baseUrl, error: (err as Error).message });
        log.warn({ instance: instance.name, err }, 'instance did not answer; its models are left as they were');
      }
    }),
  );
  unreachable.sort((a, b) => a.id - b.id);

  return withTransaction(opts.pool, async (db) => {
    await db.executeSql(lockModelDiscovery().text, []);
    const existing = (await db.executeSql<DiscoveryModelRow>(listModelsForDiscovery().text, [])).rows;
    const plan = planDiscovery({ answered, unreachableIds: unreachable.map((i) => i.id), existing, enableNew: opts.enableNew });
    for (const s of plan.skipped) log.warn({ kind: s.kind, fileName: s.fileName }, 'file name too long for the model table; skipped');
    if (plan.inserts.length) {
      const stmt = insertDiscoveredModels(plan.inserts);
      await db.executeSql(stmt.text, stmt.values);
    }
    if (plan.updates.length) {
      const stmt = updateDiscoveredModels(
        plan.updates.map((u) => ({ id: u.id, instanceIds: u.after.instanceIds, available: u.after.available, seen: u.seen, changed: !sameState(u.before, u.after) })),
      );
      await db.executeSql(stmt.text, stmt.values);
    }
    const summary = summarize(plan, unreachable);
    await opts.inTransaction?.(db, summary);
    log.info(
      { added: summary.added.length, updated: summary.updated.length, retired: summary.retired.length, unreachable: summary.unreachable.length },
      'model discovery done',
    );
    return summary;
  });
}
