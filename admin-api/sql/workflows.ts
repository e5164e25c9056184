import type { SqlStatement } from '#shared/db/pool.ts';

/**
 * Creates the template (or touches the one with this name), adds its next version and the audit row,
 * in one statement and so one transaction. Two uploads of one name at the same instant may pick the
 * same version number: the unique constraint refuses the second (409), never a silent overwrite.
 */
export function createTemplateVersion(t: {
  actor: string;
  name: string;
  description?: string;
  allowedRoles?: string[];
  graph: unknown;
  bindings: unknown;
  nodeClasses: string[];
}): SqlStatement {
  return {
    text: `with t as (
        insert into workflow_template as t (name, description, allowed_roles) values ($1, coalesce($2, ''), coalesce($3::jsonb, '[]'))
        on conflict (name) do update set updated_at = now(), description = coalesce($2, t.description), allowed_roles = coalesce($3::jsonb, t.allowed_roles)
        returning t.id, (xmax = 0) as created
      ), v as (
        insert into workflow_template_version (template_id, version, graph, bindings, node_classes)
        select t.id, coalesce((select max(w.version) from workflow_template_version w where w.template_id = t.id), 0) + 1, $4::jsonb, $5::jsonb, $6::jsonb from t
        returning id, version
      ), a as (
        insert into audit_log (actor, action, entity, entity_id, before, after)
        select $7, case when t.created then 'workflow.create' else 'workflow.version' end, 'workflow_template', t.id::text, null,
          jsonb_build_object('name', $1::text, 'version', v.version, 'nodeClasses', $6::jsonb, 'bindings', $5::jsonb)
        from t, v
      )
      select t.id as "templateId", v.id as "versionId", v.version from t, v`,
    values: [
      t.name, t.description ?? null, t.allowedRoles ? JSON.stringify(t.allowedRoles) : null,
      JSON.stringify(t.graph), JSON.stringify(t.bindings), JSON.stringify(t.nodeClasses), t.actor,
    ],
  };
}

/** Changes a template's switch, roles or description with its audit row (before/after) in one statement; no row = not found. */
export function changeTemplate(id: number, actor: string, action: string, patch: { enabled?: boolean; allowedRoles?: string[]; description?: string }): SqlStatement {
  const view = (r: string) => `jsonb_build_object('name', ${r}.name, 'description', ${r}.description, 'enabled', ${r}.enabled, 'allowedRoles', ${r}.allowed_roles)`;
  return {
    text: `with before as (select * from workflow_template where id = $1 for update),
      upd as (
        update workflow_template t set enabled = coalesce($2, t.enabled), allowed_roles = coalesce($3::jsonb, t.allowed_roles),
          description = coalesce($4, t.description), updated_at = now()
        from before where t.id = before.id returning t.*
      ), a as (
        insert into audit_log (actor, action, entity, entity_id, before, after)
        select $5, $6, 'workflow_template', upd.id::text, ${view('before')}, ${view('upd')} from before, upd
      )
      select id from upd`,
    values: [id, patch.enabled ?? null, patch.allowedRoles ? JSON.stringify(patch.allowedRoles) : null, patch.description ?? null, actor, action],
  };
}
