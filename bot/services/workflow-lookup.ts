import type { Db } from '#shared/db/pool.ts';
import { templateChoices, usableTemplateVersion } from '#shared/db/sql/workflow-templates.ts';
import { autocompleteLimits } from '#shared/render/limits.ts';

export interface UsableWorkflow {
  id: number;
  name: string;
  versionId: number;
  /** Its bindings say where a LoRA chain goes. */
  takesLoras: boolean;
  /** Its bindings have an init image input (image to image). */
  takesImage: boolean;
}

/** Workflow templates this member may use whose name contains what they typed (for autocomplete). */
export async function workflowChoices(db: Db, typed: string, roleIds: string[]): Promise<{ name: string; value: string }[]> {
  const stmt = templateChoices(typed.trim(), roleIds, autocompleteLimits.choices);
  const { rows } = await db.executeSql<{ name: string; description: string }>(stmt.text, stmt.values);
  return rows.map((r) => ({ name: r.description ? `${r.name} — ${r.description}` : r.name, value: r.name }));
}

/** The latest version of the named (or `#id`) template, if it is enabled and the member may use it. */
export async function findUsableWorkflow(db: Db, nameOrId: string, roleIds: string[]): Promise<UsableWorkflow | undefined> {
  const stmt = usableTemplateVersion(nameOrId, roleIds);
  return (await db.executeSql<UsableWorkflow>(stmt.text, stmt.values)).rows[0];
}
