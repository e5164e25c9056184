import type Router from '@koa/router';
import { ComfyClient } from '#shared/comfyui/client.ts';
import { loadInstanceAuthorizations } from '#shared/comfyui/instance-access.ts';
import type { ObjectInfo } from '#shared/comfyui/object-info.ts';
import { checkTemplate, templateNodeClasses, type PromptGraph, type TemplateBindings, type TemplateProblem } from '#shared/comfyui/workflow/index.ts';
import { mapDbError } from '#shared/db/db-errors.ts';
import type { Db } from '#shared/db/pool.ts';
import { listInstances, type InstanceRow } from '#shared/db/sql/instances.ts';
import { listTemplates, listTemplateVersions, selectTemplate, type TemplateRow, type TemplateVersionRow } from '#shared/db/sql/workflow-templates.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import type { Logger } from '#shared/logging.ts';
import { adminActor } from '../audit.ts';
import { validate, type Validated } from '../middleware/validate.ts';
import { changeTemplate, createTemplateVersion } from '../sql/workflows.ts';
import { apiPrefix, newRouter } from '../routing.ts';
import { createWorkflowBody, patchWorkflowBody, workflowIdParams } from '../schemas/workflow-schemas.ts';

export interface WorkflowsRouterDeps {
  db: Db;
  logger: Logger;
  /** How to read an instance's object_info (tests may pass their own); default: a ComfyClient with the instance's proxy header. */
  objectInfoOf?: (instance: InstanceRow, signal: AbortSignal) => Promise<ObjectInfo>;
}

interface InstanceCheck {
  id: number;
  name: string;
  problems: TemplateProblem[];
}

type PatchState = Validated<'params', typeof workflowIdParams> & Validated<'body', typeof patchWorkflowBody>;

const notFound = (id: number) => new AppError(ErrorCode.NotFound, `workflow ${id} not found`, { details: { id } });
const checkTimeoutMs = 15_000;

/**
 * `/api/v1/workflows`: operator-uploaded API-format workflows with bindings, kept in versions. An
 * upload is checked against every enabled instance's object_info and stored when at least one can run
 * it; each change commits with its audit_log row.
 */
export function workflowsRouter({ db, logger, objectInfoOf }: WorkflowsRouterDeps): Router {
  const base = `${apiPrefix}/workflows`;
  const router = newRouter();

  async function readObjectInfo(): Promise<(instance: InstanceRow, signal: AbortSignal) => Promise<ObjectInfo>> {
    if (objectInfoOf) return objectInfoOf;
    const authorizations = await loadInstanceAuthorizations(db);
    return (instance, signal) =>
      new ComfyClient({ baseUrl: instance.baseUrl, authorization: authorizations.get(instance.baseUrl.replace(/\/+$/, '')), logger, retries: 0, timeoutMs: checkTimeoutMs }).objectInfo(signal);
  }

  /** Every enabled instance that answered, with what it finds wrong (empty = it can run the workflow). */
  async function checkOnInstances(graph: PromptGraph, bindings: TemplateBindings): Promise<InstanceCheck[]> {
    const instances = (await db.executeSql<InstanceRow>(listInstances().text, [])).rows.filter((i) => i.enabled);
    const objectInfo = await readObjectInfo();
    const checks = await Promise.all(
      instances.map(async (i): Promise<InstanceCheck | undefined> => {
        try {
          return { id: i.id, name: i.name, problems: checkTemplate(graph, bindings, await objectInfo(i, AbortSignal.timeout(checkTimeoutMs))) };
        } catch (err) {
          logger.warn({ instance: i.name, err }, 'instance did not answer object_info; the workflow is not checked against it');
          return undefined;
        }
      }),
    );
    return checks.filter((c): c is InstanceCheck => c !== undefined);
  }

  async function template(id: number): Promise<TemplateRow & { versions: TemplateVersionRow[] }> {
    const row = (await db.executeSql<TemplateRow>(selectTemplate(id).text, [id])).rows[0];
    if (!row) throw notFound(id);
    const v = listTemplateVersions(id);
    return { ...row, versions: (await db.executeSql<TemplateVersionRow>(v.text, v.values)).rows };
  }

  async function change(action: string, id: number, patch: Parameters<typeof changeTemplate>[3]): Promise<void> {
    const stmt = changeTemplate(id, adminActor, action, patch);
    const { rows } = await db.executeSql(stmt.text, stmt.values).catch((err: unknown) => {
      throw mapDbError(err, 'workflow');
    });
    if (rows.length === 0) throw notFound(id);
  }

  router.get(base, async (ctx) => {
    ctx.body = { items: (await db.executeSql<TemplateRow>(listTemplates().text, [])).rows };
  });

  router.get(`${base}/:id`, validate('params', workflowIdParams), async (ctx) => {
    ctx.body = await template(ctx.state.params.id);
  });

  router.post(base, validate('body', createWorkflowBody), async (ctx) => {
    const body = ctx.state.body;
    const graph = body.workflow as PromptGraph;
    const bindings = body.bindings as TemplateBindings;
    const checks = await checkOnInstances(graph, bindings);
    if (checks.length === 0) {
      throw new AppError(ErrorCode.ComfyUnavailable, 'no enabled ComfyUI instance answered, so the workflow cannot be checked: enable or start one and upload again', { status: 503, expose: true });
    }
    const runsOn = checks.filter((c) => c.problems.length === 0);
    if (runsOn.length === 0) {
      const first = checks[0]!.problems[0]!;
      throw new AppError(ErrorCode.ComfyValidation, `no instance can run this workflow: ${first.message}`, {
        status: 422,
        expose: true,
        details: { instances: checks },
      });
    }
    const nodeClasses = templateNodeClasses(graph);
    const stmt = createTemplateVersion({ actor: adminActor, name: body.name, description: body.description, allowedRoles: body.allowedRoles, graph, bindings, nodeClasses });
    const created = (await db.executeSql<{ templateId: number; versionId: number; version: number }>(stmt.text, stmt.values).catch((err: unknown) => {
      throw mapDbError(err, 'workflow');
    })).rows[0]!;
    const templateId = created.templateId;
    ctx.status = 201;
    ctx.set('Location', `${base}/${templateId}`);
    ctx.body = {
      ...(await template(templateId)),
      created: { version: created.version, versionId: created.versionId },
      runsOn: runsOn.map((c) => ({ id: c.id, name: c.name })),
      refusedBy: checks.filter((c) => c.problems.length > 0),
    };
  });

  router.patch<PatchState>(`${base}/:id`, validate('params', workflowIdParams), validate('body', patchWorkflowBody), async (ctx) => {
    await change('workflow.update', ctx.state.params.id, ctx.state.body);
    ctx.body = await template(ctx.state.params.id);
  });

  for (const [action, enabled] of [['enable', true], ['disable', false]] as const) {
    router.post(`${base}/:id/${action}`, validate('params', workflowIdParams), async (ctx) => {
      await change(`workflow.${action}`, ctx.state.params.id, { enabled });
      ctx.body = await template(ctx.state.params.id);
    });
  }

  return router;
}
