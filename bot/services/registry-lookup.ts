import type { Db } from '#shared/db/pool.ts';
import { defaultCheckpoint, modelByName, modelChoices, registryState, type Viewer } from '../db/model-queries.ts';
import type { RegistryAnswer } from '../validation/apply-models.ts';
import type { ImagineRequest } from '../validation/imagine-options.ts';
import type { RegistryModel } from '../validation/registry-model.ts';
import type { RegistryState } from '../validation/registry-state.ts';
import { autocompleteLimits, truncate } from '#shared/render/limits.ts';
import { sharedRead } from './shared-read.ts';

/**
 * One registry row. Identical lookups in flight at the same moment (a burst of /imagine from one
 * channel asks for the same default checkpoint) share one query; the guild's model rules are
 * screened again in the enqueue.
 */
function one(db: Db, stmt: { text: string; values: unknown[] }): Promise<RegistryModel | null> {
  return sharedRead(db, `${stmt.text}\u0000${JSON.stringify(stmt.values)}`, async () => (await db.executeSql<RegistryModel>(stmt.text, stmt.values)).rows[0] ?? null);
}

export async function lookupRegistryState(db: Db): Promise<RegistryState> {
  const { rows } = await db.executeSql<RegistryState>(registryState().text, []);
  return rows[0]!;
}

/** Looks up the checkpoint (named, or the default offered to this viewer) and each LoRA of a request, in parallel; without a default, why not. */
export async function lookupModels(db: Db, request: Pick<ImagineRequest, 'model' | 'loras'>, viewer: Viewer): Promise<RegistryAnswer> {
  const [checkpoint, ...loras] = await Promise.all([
    one(db, request.model ? modelByName('checkpoint', request.model) : defaultCheckpoint(viewer)),
    ...request.loras.map((l) => one(db, modelByName('lora', l.name))),
  ]);
  if (checkpoint || request.model) return { checkpoint, loras };
  return { checkpoint: null, loras, registry: await lookupRegistryState(db) };
}

export async function findModel(db: Db, kind: 'checkpoint' | 'lora', name: string): Promise<RegistryModel | null> {
  return one(db, modelByName(kind, name));
}

export interface ModelChoice {
  name: string;
  value: string;
}

/** Autocomplete choices (≤ 25): name ≤ 100 chars; value is the file name, or `#id` when that is too long. */
export async function modelChoicesFor(db: Db, kind: 'checkpoint' | 'lora', typed: string, viewer: Viewer): Promise<ModelChoice[]> {
  const stmt = modelChoices(kind, truncate(typed, autocompleteLimits.choiceValue, ''), viewer);
  const { rows } = await db.executeSql<{ id: number; fileName: string; displayName: string; nsfw: boolean }>(stmt.text, stmt.values);
  return rows.map((r) => {
    const label = r.displayName === r.fileName ? r.fileName : `${r.displayName} — ${r.fileName}`;
    return {
      name: truncate(r.nsfw ? `🔞 ${label}` : label, autocompleteLimits.choiceName),
      value: r.fileName.length <= autocompleteLimits.choiceValue ? r.fileName : `#${r.id}`,
    };
  });
}
