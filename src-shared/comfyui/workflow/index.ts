export { isLink, link, type InputValue, type Link, type PromptGraph, type PromptNode } from './graph.ts';
export { GraphBuilder } from './graph-builder.ts';
export { maxSeed, parseSeed } from './seed.ts';
export { serializePrompt, type PromptRequestBody } from './serialize.ts';
export { validateWorkflow, type WorkflowProblem, type WorkflowProblemCode } from './validate.ts';
export { buildTxt2Img, type LoraSpec, type Txt2ImgParams } from './templates/txt2img.ts';
export { buildWorkflow, isTemplateName, workflowTemplates, type TemplateName, type TemplateParams } from './templates/index.ts';
export { checkTemplate, templateNodeClasses, valueBindings, type InputBinding, type OutputBinding, type TemplateBindings, type TemplateProblem, type ValueBindingName } from './templates/template-bindings.ts';
export { buildFromTemplate, type OperatorTemplateParams } from './templates/operator-template.ts';
