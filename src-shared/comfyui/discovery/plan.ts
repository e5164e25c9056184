import type { ModelKind } from '#shared/db/entities/model.ts';
import { displayNameFor, isUnsafeModelFile } from './file-safety.ts';

/** The column limit of model.file_name. */
const maxFileNameLength = 500;

export interface ModelRef {
  kind: ModelKind;
  fileName: string;
}

/** What one instance that answered has, per kind. */
export interface InstanceInventory {
  instanceId: number;
  files: Partial<Record<ModelKind, readonly string[]>>;
}

/** The columns of an existing row that discovery reads. */
export interface ExistingModel extends ModelRef {
  id: number;
  source: 'discovered' | 'manual';
  available: boolean;
  instanceIds: number[];
}

export interface PlanInput {
  answered: readonly InstanceInventory[];
  /** Enabled instances that did not answer: what they had before is kept, nothing is retired for them. */
  unreachableIds: readonly number[];
  existing: readonly ExistingModel[];
  /** MODELS_ENABLE_NEW: whether new safe files start enabled. */
  enableNew: boolean;
}

export interface ModelInsert extends ModelRef {
  displayName: string;
  enabled: boolean;
  unsafe: boolean;
  instanceIds: number[];
}

export interface ModelState {
  instanceIds: number[];
  available: boolean;
}

export interface ModelUpdate extends ModelRef {
  id: number;
  before: ModelState;
  after: ModelState;
  /** Seen on an instance that answered now: last_seen_at moves. */
  seen: boolean;
}

export interface DiscoveryPlan {
  inserts: ModelInsert[];
  /** Existing rows that were seen, or whose instances or availability change. */
  updates: ModelUpdate[];
  /** File names too long for the table; left out. */
  skipped: ModelRef[];
}

const keyOf = (kind: string, fileName: string) => `${kind}\u0000${fileName}`;

/**
 * Diffs what the instances that answered have against the model rows. Never enables or
 * disables an existing row; never retires a manual row; an unreachable instance keeps the
 * files it had.
 */
export function planDiscovery(input: PlanInput): DiscoveryPlan {
  const holders = new Map<string, { ref: ModelRef; instanceIds: Set<number> }>();
  const skipped = new Map<string, ModelRef>();
  for (const inventory of input.answered) {
    for (const [kind, files] of Object.entries(inventory.files) as [ModelKind, readonly string[]][]) {
      for (const fileName of files) {
        const key = keyOf(kind, fileName);
        if (fileName.length > maxFileNameLength) {
          skipped.set(key, { kind, fileName });
          continue;
        }
        let entry = holders.get(key);
        if (!entry) holders.set(key, (entry = { ref: { kind, fileName }, instanceIds: new Set() }));
        entry.instanceIds.add(inventory.instanceId);
      }
    }
  }

  const unreachable = new Set(input.unreachableIds);
  const updates: ModelUpdate[] = [];
  for (const row of input.existing) {
    const key = keyOf(row.kind, row.fileName);
    const seenOn = holders.get(key)?.instanceIds ?? new Set<number>();
    holders.delete(key);
    const kept = row.instanceIds.filter((id) => unreachable.has(id));
    const instanceIds = sortedUnique([...kept, ...seenOn]);
    const seen = seenOn.size > 0;
    const available = row.source === 'manual' && !seen ? row.available : instanceIds.length > 0;
    const before = { instanceIds: sortedUnique(row.instanceIds), available: row.available };
    const after = { instanceIds, available };
    if (seen || !sameState(before, after)) {
      updates.push({ id: row.id, kind: row.kind, fileName: row.fileName, before, after, seen });
    }
  }

  const inserts: ModelInsert[] = [...holders.values()].map(({ ref, instanceIds }) => {
    const unsafe = isUnsafeModelFile(ref.fileName);
    return {
      ...ref,
      displayName: displayNameFor(ref.fileName),
      unsafe,
      enabled: input.enableNew && !unsafe,
      instanceIds: sortedUnique(instanceIds),
    };
  });
  inserts.sort(byRef);
  updates.sort(byRef);
  return { inserts, updates, skipped: [...skipped.values()] };
}

export function sameState(a: ModelState, b: ModelState): boolean {
  return a.available === b.available && a.instanceIds.length === b.instanceIds.length && a.instanceIds.every((id, i) => id === b.instanceIds[i]);
}

function sortedUnique(ids: Iterable<number>): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}

function byRef(a: ModelRef, b: ModelRef): number {
  return a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0;
}
