import { sameState, type DiscoveryPlan, type ModelRef, type ModelState } from './plan.ts';

export interface AddedModel extends ModelRef {
  enabled: boolean;
  unsafe: boolean;
  instanceIds: number[];
}

export interface UpdatedModel extends ModelRef {
  id: number;
  before: ModelState;
  after: ModelState;
}

export interface RetiredModel extends ModelRef {
  id: number;
  /** Where it was before it went. */
  instanceIds: number[];
}

export interface UnreachableInstance {
  id: number;
  name: string;
  baseUrl: string;
  error: string;
}

export interface DiscoverySummary {
  added: AddedModel[];
  /** Instances changed, or available again. */
  updated: UpdatedModel[];
  /** Gone from every instance that answered: marked unavailable, not deleted. */
  retired: RetiredModel[];
  unreachable: UnreachableInstance[];
}

export function summarize(plan: DiscoveryPlan, unreachable: UnreachableInstance[]): DiscoverySummary {
  const summary: DiscoverySummary = {
    added: plan.inserts.map(({ kind, fileName, enabled, unsafe, instanceIds }) => ({ kind, fileName, enabled, unsafe, instanceIds })),
    updated: [],
    retired: [],
    unreachable,
  };
  for (const u of plan.updates) {
    if (sameState(u.before, u.after)) continue;
    if (u.before.available && !u.after.available) summary.retired.push({ id: u.id, kind: u.kind, fileName: u.fileName, instanceIds: u.before.instanceIds });
    else summary.updated.push({ id: u.id, kind: u.kind, fileName: u.fileName, before: u.before, after: u.after });
  }
  return summary;
}

/** Human-readable lines for the operator (`npm run models:refresh`). */
export function formatSummary(s: DiscoverySummary): string {
  const lines: string[] = [];
  const ids = (list: number[]) => (list.length ? list.join(', ') : 'none');
  if (s.added.length) {
    lines.push(`added ${s.added.length}:`);
    for (const m of s.added) {
      const state = m.enabled ? 'enabled' : m.unsafe ? 'disabled: unsafe format, enable by hand if trusted' : 'disabled';
      lines.push(`  + ${m.kind} ${m.fileName} (${state}) on instances ${ids(m.instanceIds)}`);
    }
  }
  if (s.updated.length) {
    lines.push(`updated ${s.updated.length}:`);
    for (const m of s.updated) {
      const changes: string[] = [];
      if (!m.before.available && m.after.available) changes.push('available again');
      if (ids(m.before.instanceIds) !== ids(m.after.instanceIds)) changes.push(`instances ${ids(m.before.instanceIds)} → ${ids(m.after.instanceIds)}`);
      lines.push(`  ~ ${m.kind} ${m.fileName}: ${changes.join('; ')}`);
    }
  }
  if (s.retired.length) {
    lines.push(`retired ${s.retired.length} (gone from every instance, marked unavailable):`);
    for (const m of s.retired) lines.push(`  - ${m.kind} ${m.fileName}`);
  }
  if (s.unreachable.length) {
    lines.push(`unreachable ${s.unreachable.length} (their models were left as they were):`);
    for (const i of s.unreachable) lines.push(`  ! ${i.name} ${i.baseUrl}: ${i.error}`);
  }
  if (!s.added.length && !s.updated.length && !s.retired.length) lines.unshift('no model changes');
  return `${lines.join('\n')}\n`;
}
