import { buildFromTemplate, buildWorkflow, isTemplateName, validateWorkflow, type PromptGraph, type TemplateBindings } from '#shared/comfyui/workflow/index.ts';
import { selectTemplateVersion, type TemplateVersionRow } from '#shared/db/sql/workflow-templates.ts';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import type { InstanceRow } from '#shared/db/sql/instances.ts';
import { ErrorCode } from '#shared/errors.ts';
import type { GenerateContext } from '../context.ts';
import { failWith, settle } from '../settle.ts';
import { truncate } from '#shared/render/limits.ts';

/** The workflow for this generation, checked against the instance's object_info; undefined = failed with a reason. */
export async function buildChecked(ctx: GenerateContext, g: GenerationRow, instance: InstanceRow) {
  const graph = g.workflowVersionId ? await fromUploadedTemplate(ctx, g, g.workflowVersionId) : await fromBuiltIn(ctx, g);
  if (!graph) return undefined;
  const problems = validateWorkflow(graph, await ctx.instances.objectInfo(instance.baseUrl));
  if (problems.length > 0) {
    ctx.instances.forgetObjectInfo(instance.baseUrl);
    await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(ErrorCode.ComfyValidation, truncate(problems.map((p) => p.message).join('\n'), 1000)));
    return undefined;
  }
  return graph;
}

/** An operator's uploaded workflow with this generation's values bound in (templates/operator-template.ts). */
async function fromUploadedTemplate(ctx: GenerateContext, g: GenerationRow, versionId: number): Promise<PromptGraph | undefined> {
  const stmt = selectTemplateVersion(versionId);
  const version = (await ctx.db.executeSql<TemplateVersionRow>(stmt.text, stmt.values)).rows[0];
  if (!version) {
    await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(ErrorCode.Validation, `The workflow template '${g.workflowTemplate}' was deleted.`));
    return undefined;
  }
  return buildFromTemplate(version.graph as PromptGraph, version.bindings as TemplateBindings, {
    prompt: g.prompt,
    negativePrompt: g.negativePrompt,
    seed: g.seed,
    steps: g.steps,
    cfg: g.cfg,
    width: g.width,
    height: g.height,
    batchSize: g.batchSize,
    sampler: g.sampler,
    scheduler: g.scheduler,
    checkpoint: g.checkpoint,
    denoise: g.denoise,
    loras: g.loras,
    filenamePrefix: `genonaut/${g.id}`,
  });
}

async function fromBuiltIn(ctx: GenerateContext, g: GenerationRow): Promise<PromptGraph | undefined> {
  if (!isTemplateName(g.workflowTemplate)) {
    await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(ErrorCode.Validation, `Unknown workflow template '${g.workflowTemplate}'.`));
    return undefined;
  }
  return buildWorkflow(g.workflowTemplate, {
    checkpoint: g.checkpoint,
    loras: g.loras,
    ...(g.vae ? { vae: g.vae } : {}),
    prompt: g.prompt,
    negativePrompt: g.negativePrompt,
    width: g.width,
    height: g.height,
    batchSize: g.batchSize,
    seed: g.seed,
    steps: g.steps,
    cfg: g.cfg,
    sampler: g.sampler,
    scheduler: g.scheduler,
    denoise: g.denoise,
    filenamePrefix: `genonaut/${g.id}`,
  });
}
