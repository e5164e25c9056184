import type { PromptGraph } from '../graph.ts';
import { buildTxt2Img, type Txt2ImgParams } from './txt2img.ts';

/** Template name → parameters. Add img2img/upscale here with their own file and builder. */
export interface TemplateParams {
  txt2img: Txt2ImgParams;
}

export type TemplateName = keyof TemplateParams;

type Builders = { [K in TemplateName]: (params: TemplateParams[K]) => PromptGraph };

export const workflowTemplates: Builders = {
  txt2img: buildTxt2Img,
};

export function buildWorkflow<K extends TemplateName>(name: K, params: TemplateParams[K]): PromptGraph {
  const build = workflowTemplates[name] as (p: TemplateParams[K]) => PromptGraph;
  return build(params);
}

export function isTemplateName(name: string): name is TemplateName {
  return Object.hasOwn(workflowTemplates, name);
}
