import { buildFromTemplate, buildWorkflow, isTemplateName, validateWorkflow, type PromptGraph, type TemplateBindings } from '#shared/comfyui/workflow/index.ts';
import { buildImg2Img, buildLatentUpscale, buildModelUpscale, upscaleModelIn } from '#shared/comfyui/workflow/image-to-image.ts';
import type { ObjectInfo } from '#shared/comfyui/object-info.ts';
import { selectTemplateVersion, type TemplateVersionRow } from '#shared/db/sql/workflow-templates.ts';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import type { InstanceRow } from '#shared/db/sql/instances.ts';
import { ErrorCode } from '#shared/errors.ts';
import type { GenerateContext } from '../context.ts';
import { failWith, settle } from '../settle.ts';
import { truncate } from '#shared/render/limits.ts';

/**
 * The workflow for this generation, checked against the instance's object_info; undefined = failed
 * with a reason. `initImage`: the uploaded starting picture's LoadImage name (img2img, upscale).
 */
export async function buildChecked(ctx: GenerateContext, g: GenerationRow, instance: InstanceRow, initImage?: string) {
  const objectInfo = await ctx.instances.objectInfo(instance.baseUrl);
  const graph = g.workflowVersionId
    ? await fromUploadedTemplate(ctx, g, g.workflowVersionId, initImage)
    : initImage !== undefined && isPictureFlow(g.workflowTemplate) ? fromPicture(g, initImage, objectInfo) : await fromBuiltIn(ctx, g);
  if (!graph) return undefined;
  const problems = validateWorkflow(graph, objectInfo);
  if (problems.length > 0) {
    ctx.instances.forgetObjectInfo(instance.baseUrl);
    await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(ErrorCode.ComfyValidation, truncate(problems.map((p) => p.message).join('\n'), 1000)));
    return undefined;
  }
  return graph;
}

/** An operator's uploaded workflow with this generation's values bound in (templates/operator-template.ts). */
async function fromUploadedTemplate(ctx: GenerateContext, g: GenerationRow, versionId: number, initImage: string | undefined): Promise<PromptGraph | undefined> {
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
    ...(initImage !== undefined ? { initImage } : {}),
    filenamePrefix: `genonaut/${g.id}`,
  });
}

const isPictureFlow = (template: string): template is 'img2img' | 'upscale' => template === 'img2img' || template === 'upscale';

/**
 * Image to image and ⬆ upscale, from the uploaded picture: an upscale uses an upscale model where
 * the instance has one, else the latent upscale and second pass.
 */
function fromPicture(g: GenerationRow, image: string, objectInfo: ObjectInfo): PromptGraph {
  const filenamePrefix = `genonaut/${g.id}`;
  const upscaler = g.workflowTemplate === 'upscale' ? upscaleModelIn(objectInfo) : undefined;
  if (upscaler) return buildModelUpscale({ image, upscaleModel: upscaler, width: g.width, height: g.height, filenamePrefix });
  const params = {
    checkpoint: g.checkpoint, loras: g.loras, ...(g.vae ? { vae: g.vae } : {}), prompt: g.prompt, negativePrompt: g.negativePrompt,
    width: g.width, height: g.height, seed: g.seed, steps: g.steps, cfg: g.cfg, sampler: g.sampler, scheduler: g.scheduler,
    denoise: g.denoise, filenamePrefix, image,
  };
  return g.workflowTemplate === 'upscale' ? buildLatentUpscale(params) : buildImg2Img(params);
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
