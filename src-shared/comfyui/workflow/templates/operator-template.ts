import { AppError, ErrorCode } from '../../../errors.ts';
import { isLink, link, type InputValue, type Link, type PromptGraph } from '../graph.ts';
import { parseSeed } from '../seed.ts';
import type { InputBinding, TemplateBindings, ValueBindingName } from './template-bindings.ts';
import type { LoraSpec } from './txt2img.ts';

/** A generation's values for an uploaded template; each goes where its binding says (unbound: left as uploaded). */
export interface OperatorTemplateParams {
  prompt: string;
  negativePrompt: string;
  /** Decimal uint64. */
  seed: string;
  steps: number;
  cfg: number;
  width: number;
  height: number;
  batchSize: number;
  sampler: string;
  scheduler: string;
  checkpoint: string;
  denoise: number;
  /** A file name in the instance's input folder (uploaded first), for img2img templates. */
  initImage?: string;
  loras: LoraSpec[];
  /** Written to every node's `filename_prefix`, so outputs are found per job. */
  filenamePrefix: string;
}

function nextIds(graph: PromptGraph): () => string {
  let n = Math.max(0, ...Object.keys(graph).map(Number).filter(Number.isInteger));
  return () => {
    do n++;
    while (Object.hasOwn(graph, String(n)));
    return String(n);
  };
}

function relink(graph: PromptGraph, from: Link, to: Link, skip: Set<string>): void {
  for (const [id, node] of Object.entries(graph)) {
    if (skip.has(id)) continue;
    for (const [name, value] of Object.entries(node.inputs)) {
      if (isLink(value) && value[0] === from[0] && value[1] === from[1]) node.inputs[name] = to;
    }
  }
}

/**
 * The prompt for one generation from an uploaded workflow: a copy with every bound input filled and
 * the LoRA chain inserted after the bound MODEL (and CLIP) outputs. Pure; the upload was checked
 * against object_info, and the scheduler checks the result again on the chosen instance.
 */
export function buildFromTemplate(template: PromptGraph, bindings: TemplateBindings, params: OperatorTemplateParams): PromptGraph {
  if (!params.filenamePrefix) throw new AppError(ErrorCode.Validation, 'filenamePrefix is empty — give each job its own prefix');
  const graph = structuredClone(template);
  const values: Record<ValueBindingName, InputValue | undefined> = {
    prompt: params.prompt,
    negative: params.negativePrompt,
    seed: parseSeed(params.seed),
    steps: params.steps,
    cfg: params.cfg,
    width: params.width,
    height: params.height,
    batchSize: params.batchSize,
    sampler: params.sampler,
    scheduler: params.scheduler,
    checkpoint: params.checkpoint,
    denoise: params.denoise,
    initImage: params.initImage,
  };
  for (const [name, value] of Object.entries(values) as [ValueBindingName, InputValue | undefined][]) {
    const b: InputBinding | undefined = bindings[name];
    if (!b || value === undefined) continue;
    const node = graph[b.node];
    if (!node) throw new AppError(ErrorCode.Validation, `binding '${name}': node ${b.node} is not in the workflow`);
    node.inputs[b.input] = value;
  }
  for (const node of Object.values(graph)) {
    if (typeof node.inputs.filename_prefix === 'string') node.inputs.filename_prefix = params.filenamePrefix;
  }
  if (bindings.loras && params.loras.length > 0) insertLoras(graph, bindings.loras, params.loras);
  return graph;
}

function insertLoras(graph: PromptGraph, at: NonNullable<TemplateBindings['loras']>, loras: LoraSpec[]): void {
  const newId = nextIds(graph);
  const modelFrom = link(at.model.node, at.model.output);
  const clipFrom = at.clip ? link(at.clip.node, at.clip.output) : undefined;
  let model: Link = modelFrom;
  let clip: Link | undefined = clipFrom;
  const added = new Set<string>();
  for (const lora of loras) {
    const id = newId();
    added.add(id);
    if (clip && lora.strengthClip !== 0) {
      graph[id] = { class_type: 'LoraLoader', inputs: { model, clip, lora_name: lora.name, strength_model: lora.strengthModel, strength_clip: lora.strengthClip } };
      model = link(id, 0);
      clip = link(id, 1);
    } else {
      graph[id] = { class_type: 'LoraLoaderModelOnly', inputs: { model, lora_name: lora.name, strength_model: lora.strengthModel } };
      model = link(id, 0);
    }
  }
  relink(graph, modelFrom, model, added);
  if (clipFrom && clip) relink(graph, clipFrom, clip, added);
}
