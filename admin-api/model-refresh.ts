import type pg from 'pg';
import { discoverModels } from '#shared/comfyui/discovery/discover.ts';
import type { DiscoverySummary } from '#shared/comfyui/discovery/summary.ts';
import { asDb } from '#shared/db/pool.ts';
import { listInstances, type InstanceRow } from '#shared/db/sql/instances.ts';
import type { Logger } from '#shared/logging.ts';
import { adminActor } from './audit.ts';
import { insertAudit } from './sql/audit.ts';

export interface RefreshDeps {
  pool: pg.Pool;
  logger: Logger;
  /** MODELS_ENABLE_NEW */
  enableNew: boolean;
  /** Per instance; kept under the server's 30 s request timeout. Default 20 s. */
  instanceTimeoutMs?: number;
}

interface FileRef {
  id: number | null;
  kind: string;
  fileName: string;
}

export interface InstanceRefresh {
  id: number;
  name: string;
  baseUrl: string;
  answered: boolean;
  /** Why it did not answer (its models were left as they were). */
  error: string | null;
  /** Files found there now that were not before (new models, or known ones it gained). */
  gained: FileRef[];
  /** Files it had before and no longer has. */
  lost: FileRef[];
}

export type RefreshResult = DiscoverySummary & { instances: InstanceRefresh[] };

/**
 * One discovery pass over every enabled instance now, the same pass the scheduler's cron and
 * `npm run models:refresh` run (it takes the same lock, so passes never overlap). The scheduler's
 * cached node lists follow within their 60 s lifetime.
 */
export async function refreshModels(deps: RefreshDeps): Promise<RefreshResult> {
  const summary = await discoverModels({
    pool: deps.pool, logger: deps.logger, enableNew: deps.enableNew, instanceTimeoutMs: deps.instanceTimeoutMs ?? 20_000,
    // One row for the pass, with what it changed; a pass that changed nothing is not a change.
    inTransaction: async (db, s) => {
      if (!s.added.length && !s.updated.length && !s.retired.length) return;
      const after = { added: s.added.map((m) => `${m.kind}:${m.fileName}`), updated: s.updated.map((m) => m.id), retired: s.retired.map((m) => m.id) };
      const audit = insertAudit({ actor: adminActor, action: 'model.refresh', entity: 'model', entityId: null, before: null, after });
      await db.executeSql(audit.text, audit.values);
    },
  });
  const instances = (await asDb(deps.pool).executeSql<InstanceRow>(listInstances().text, [])).rows.filter((i) => i.enabled);
  return { ...summary, instances: instances.map((i) => perInstance(i, summary)) };
}

function perInstance(instance: InstanceRow, s: DiscoverySummary): InstanceRefresh {
  const unreachable = s.unreachable.find((u) => u.id === instance.id);
  const has = (ids: number[]) => ids.includes(instance.id);
  const gained: FileRef[] = [
    ...s.added.filter((m) => has(m.instanceIds)).map((m) => ({ id: null, kind: m.kind, fileName: m.fileName })),
    ...s.updated.filter((m) => has(m.after.instanceIds) && !has(m.before.instanceIds)).map((m) => ({ id: m.id, kind: m.kind, fileName: m.fileName })),
  ];
  const lost: FileRef[] = [
    ...s.updated.filter((m) => has(m.before.instanceIds) && !has(m.after.instanceIds)).map((m) => ({ id: m.id, kind: m.kind, fileName: m.fileName })),
    ...s.retired.filter((m) => has(m.instanceIds)).map((m) => ({ id: m.id, kind: m.kind, fileName: m.fileName })),
  ];
  return { id: instance.id, name: instance.name, baseUrl: instance.baseUrl, answered: !unreachable, error: unreachable?.error ?? null, gained, lost };
}
