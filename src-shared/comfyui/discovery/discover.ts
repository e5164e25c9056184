import type pg from 'pg';
import { asDb, withTransaction, type Db } from '#shared/db/pool.ts';
import { listInstances, setInstanceNodeClasses, type InstanceRow } from '#shared/db/sql/instances.ts';
import {
  insertDiscoveredModels,
  listModelsForDiscovery,
  lockModelDiscovery,
  modelFamilyRules,
  modelsWithoutFamily,
  setModelFamilies,
  updateDiscoveredModels,
  type DiscoveryModelRow,
} from '#shared/db/sql/models.ts';
import type { Logger } from '#shared/logging.ts';
import { ComfyClient } from '../client.ts';
import { loadInstanceAuthorizations } from '../instance-access.ts';
import { familyFromMetadata, familyFromName, type FamilyRule } from './base-family.ts';
import { fetchInstanceInventory, type InventoryClient } from './inventory.ts';
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
  const nodeClasses = new Map<number, string[]>();
  const unreachable: UnreachableInstance[] = [];
  await Promise.all(
    instances.map(async (instance) => {
      const timeout = AbortSignal.timeout(opts.instanceTimeoutMs ?? 60_000);
      const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
      try {
        const inventory = await fetchInstanceInventory(clientFor(instance), signal);
        answered.push({ instanceId: instance.id, files: inventory.files });
        nodeClasses.set(instance.id, inventory.nodeClasses);
      } catch (err) {
        opts.signal?.throwIfAborted();
        unreachable.push({ id: instance.id, name: instance.name, baseUrl: instance.baseUrl, error: (err as Error).message });
        log.warn({ instance: instance.name, err }, 'instance did not answer; its models are left as they were');
      }
    }),
  );
  unreachable.sort((a, b) => a.id - b.id);

  const summary = await withTransaction(opts.pool, async (db) => {
    await db.executeSql(lockModelDiscovery().text, []);
    for (const [id, classes] of nodeClasses) {
      const stmt = setInstanceNodeClasses(id, classes);
      await db.executeSql(stmt.text, stmt.values);
    }
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
  await fillBaseFamilies(opts.pool, new Map(instances.filter((i) => nodeClasses.has(i.id)).map((i) => [i.id, clientFor(i)])), log, opts.signal);
  return summary;
}

/** How many models without a family one pass looks at (each may cost one `/view_metadata` call). */
const familyBatch = 500;

/**
 * Gives discovered checkpoints and LoRAs without a base family one: from the safetensors header
 * (`/view_metadata`, asked of an instance that has the file and answered this pass), else from the
 * first matching `model_family_rule`. One that neither names stays empty and is asked again next pass.
 */
async function fillBaseFamilies(pool: pg.Pool, clients: Map<number, InventoryClient>, log: Logger, signal?: AbortSignal): Promise<void> {
  const db = asDb(pool);
  const rules = (await db.executeSql<FamilyRule>(modelFamilyRules().text, [])).rows;
  const stmt = modelsWithoutFamily(familyBatch);
  const models = (await db.executeSql<{ id: number; kind: 'checkpoint' | 'lora'; fileName: string; instanceIds: number[] }>(stmt.text, stmt.values)).rows;
  const found: { id: number; family: string }[] = [];
  for (const m of models) {
    signal?.throwIfAborted();
    const client = m.instanceIds.map((id) => clients.get(id)).find((c) => c?.viewMetadata);
    let family: string | undefined;
    if (client && /\.safetensors$/i.test(m.fileName)) {
      const folder = m.kind === 'checkpoint' ? 'checkpoints' : 'loras';
      const metadata = await client.viewMetadata!(folder, m.fileName, signal).catch((err: unknown) => {
        log.warn({ err, fileName: m.fileName }, 'could not read the model header; trying the naming rules');
        return undefined;
      });
      family = familyFromMetadata(metadata);
    }
    family ??= familyFromName(m.fileName, rules);
    if (family) found.push({ id: m.id, family });
  }
  if (found.length) {
    const set = setModelFamilies(found);
    await db.executeSql(set.text, set.values);
    log.info({ families: found.length }, 'base families filled');
  }
}
