import { buildWorkflow, isTemplateName, validateWorkflow, type PromptGraph, type TemplateName } from '#shared/comfyui/workflow/index.ts';
import { buildImg2Img, buildLatentUpscale, buildModelUpscale, upscaleModelIn } from '#shared/comfyui/workflow/image-to-image.ts';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import type { InstanceRow } from '#shared/db/sql/instances.ts';
import { ErrorCode } from '#shared/errors.ts';
import type { GenerateContext } from '../context.ts';
import { failWith, settle } from '../settle.ts';
import { truncate } from '#shared/render/limits.ts';

const imageBuilders: Record<string, typeof buildImg2Img> = { img2img: buildImg2Img, upscale: buildLatentUpscale };

/**
 * The workflow for this generation, checked against the instance's object_info; undefined = failed
 * with a reason. `initImage`: the uploaded starting picture's LoadImage name (img2img, upscale).
 */
export async function buildChecked(ctx: GenerateContext, g: GenerationRow, instance: InstanceRow, initImage?: string) {
  const imageBuilder = initImage === undefined ? undefined : imageBuilders[g.workflowTemplate];
  if (!imageBuilder && !isTemplateName(g.workflowTemplate)) {
    await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(ErrorCode.Validation, `Unknown workflow template '${g.workflowTemplate}'.`));
    return undefined;
  }
  const params = {
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
  };
  const objectInfo = await ctx.instances.objectInfo(instance.baseUrl);
  // ⬆ uses an upscale model where the instance has one, else the latent upscale and second pass.
  const upscaler = imageBuilder && g.workflowTemplate === 'upscale' ? upscaleModelIn(objectInfo) : undefined;
  const graph: PromptGraph = upscaler
    ? buildModelUpscale({ image: initImage!, upscaleModel: upscaler, width: g.width, height: g.height, filenamePrefix: params.filenamePrefix })
    : imageBuilder ? imageBuilder({ ...params, image: initImage! }) : buildWorkflow(g.workflowTemplate as TemplateName, params);
  const problems = validateWorkflow(graph, objectInfo);
  if (problems.length > 0) {
    ctx.instances.forgetObjectInfo(instance.baseUrl);
    await settle(ctx.pool, ctx.boss, g.id, 'failed', failWith(ErrorCode.ComfyValidation, truncate(problems.map((p) => p.message).join('\n'), 1000)));
    return undefined;
  }
  return graph;
}
