import type { SqlStatement } from '#shared/db/pool.ts';

export const templateColumns = `t.id, t.name, t.description, t.enabled, t.allowed_roles as "allowedRoles",
  t.created_at as "createdAt", t.updated_at as "updatedAt",
  (select max(v.version) from workflow_template_version v where v.template_id = t.id) as "latestVersion"`;

export interface TemplateRow {
  id: number;
  name: string;
  description: string;
  enabled: boolean;
  allowedRoles: string[];
  createdAt: Date;
  updatedAt: Date;
  latestVersion: number | null;
}

export const versionColumns = `v.id, v.template_id as "templateId", v.version, v.graph, v.bindings, v.node_classes as "nodeClasses", v.created_at as "createdAt"`;

export interface TemplateVersionRow {
  id: number;
  templateId: number;
  version: number;
  graph: unknown;
  bindings: unknown;
  nodeClasses: string[];
  createdAt: Date;
}

export function listTemplates(): SqlStatement {
  return { text: `select ${templateColumns} from workflow_template t order by t.name`, values: [] };
}

export function selectTemplate(id: number, forUpdate = false): SqlStatement {
  return { text: `select ${templateColumns} from workflow_template t where t.id = $1${forUpdate ? ' for update' : ''}`, values: [id] };
}

export function listTemplateVersions(templateId: number): SqlStatement {
  return { text: `select ${versionColumns} from workflow_template_version v where v.template_id = $1 order by v.version desc`, values: [templateId] };
}

/** One template version as the scheduler builds from it. */
export function selectTemplateVersion(id: number): SqlStatement {
  return { text: `select ${versionColumns} from workflow_template_version v where v.id = $1`, values: [id] };
}

/** Who may use a template: no roles listed = everyone; otherwise a member holding one of them. */
const allowedFor = (rolesParam: string) => `(jsonb_array_length(t.allowed_roles) = 0 or t.allowed_roles ?| ${rolesParam}::text[])`;

/** Enabled templates a member may use whose name matches what they typed, with their latest version. */
export function templateChoices(typed: string, roleIds: string[], limit: number): SqlStatement {
  return {
    text: `select t.name, t.description from workflow_template t
      where t.enabled and ${allowedFor('$2')} and t.name ilike '%' || $1 || '%'
        and exists (select 1 from workflow_template_version v where v.template_id = t.id)
      order by (t.name ilike $1 || '%') desc, t.name limit $3`,
    values: [typed.replace(/[\\%_]/g, (c) => `\\${c}`), roleIds, limit],
  };
}

/** The latest version of the template named `nameOrId` (or `#<id>`), if it is enabled and the member may use it. */
export function usableTemplateVersion(nameOrId: string, roleIds: string[]): SqlStatement {
  const byId = /^#(\d{1,9})$/.exec(nameOrId);
  return {
    text: `select t.id, t.name, v.id as "versionId", (v.bindings ? 'loras') as "takesLoras", (v.bindings ? 'initImage') as "takesImage" from workflow_template t
      join lateral (select id, bindings from workflow_template_version where template_id = t.id order by version desc limit 1) v on true
      where ${byId ? 't.id = $1::int' : 't.name = $1'} and t.enabled and ${allowedFor('$2')}`,
    values: [byId ? Number(byId[1]) : nameOrId, roleIds],
  };
}
