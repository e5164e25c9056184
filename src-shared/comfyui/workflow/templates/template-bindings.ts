import type { InputSpec, ObjectInfo } from '../../object-info.ts';
import { nodeLabel, where } from '../../problem-text.ts';
import { isLink, type PromptGraph } from '../graph.ts';
import { validateWorkflow, type WorkflowProblem } from '../validate.ts';

/** One node input that receives a value: `{ node: "6", input: "text" }`. */
export interface InputBinding {
  node: string;
  input: string;
}

/** One node output: `{ node: "4", output: 0 }`. */
export interface OutputBinding {
  node: string;
  output: number;
}

/** Which literal each input a generation fills, and its expected ComfyUI type. */
export const valueBindings = {
  prompt: 'STRING',
  negative: 'STRING',
  seed: 'INT',
  steps: 'INT',
  cfg: 'FLOAT',
  width: 'INT',
  height: 'INT',
  batchSize: 'INT',
  sampler: 'COMBO',
  scheduler: 'COMBO',
  checkpoint: 'COMBO',
  initImage: 'COMBO',
  denoise: 'FLOAT',
} as const;

export type ValueBindingName = keyof typeof valueBindings;

/**
 * Where a generation's values go in an uploaded workflow. Only `prompt` is required; an unbound
 * value keeps the workflow's own. `loras` names the MODEL (and CLIP) outputs the LoRA chain goes
 * after: every input linked to them is relinked to the chain's end.
 */
export type TemplateBindings = { prompt: InputBinding } & Partial<Record<Exclude<ValueBindingName, 'prompt'>, InputBinding>> & {
  loras?: { model: OutputBinding; clip?: OutputBinding };
};

export interface TemplateProblem {
  /** The binding at fault, or absent for a problem of the workflow itself. */
  binding?: string;
  nodeId: string;
  classType: string | undefined;
  input?: string;
  code: WorkflowProblem['code'] | 'binding_missing' | 'binding_node_missing' | 'binding_input_unknown' | 'binding_type_mismatch' | 'binding_linked';
  message: string;
}

function specOf(objectInfo: ObjectInfo, classType: string, input: string): InputSpec | undefined {
  const info = objectInfo[classType]?.input;
  return info?.required?.[input] ?? info?.optional?.[input];
}

function typeOfSpec(spec: InputSpec): string {
  const [type, options] = spec;
  if (Array.isArray(type) || (type === 'COMBO' && Array.isArray(options?.options))) return 'COMBO';
  return type as string;
}

/** Every class the workflow uses, sorted (what an instance must offer to run it). */
export function templateNodeClasses(graph: PromptGraph): string[] {
  return [...new Set(Object.values(graph).map((n) => n.class_type))].sort();
}

function checkValueBinding(name: ValueBindingName, b: InputBinding, graph: PromptGraph, objectInfo: ObjectInfo): TemplateProblem | undefined {
  const node = graph[b.node];
  if (!node) return { binding: name, nodeId: b.node, classType: undefined, input: b.input, code: 'binding_node_missing', message: `binding '${name}': node ${b.node} is not in the workflow — bind an existing node` };
  const spec = specOf(objectInfo, node.class_type, b.input);
  const at = where(b.node, node.class_type, b.input);
  if (!spec) return { binding: name, nodeId: b.node, classType: node.class_type, input: b.input, code: 'binding_input_unknown', message: `binding '${name}': ${at} does not exist — bind one of the node's inputs` };
  const expected = valueBindings[name];
  const actual = typeOfSpec(spec);
  if (actual !== expected) {
    return { binding: name, nodeId: b.node, classType: node.class_type, input: b.input, code: 'binding_type_mismatch', message: `binding '${name}': ${at} takes ${actual}, but '${name}' is ${expected} — bind an input of type ${expected}` };
  }
  if (isLink(node.inputs?.[b.input])) {
    return { binding: name, nodeId: b.node, classType: node.class_type, input: b.input, code: 'binding_linked', message: `binding '${name}': ${at} is linked to another node — bind an input that holds a value` };
  }
  return undefined;
}

function checkOutputBinding(name: string, b: OutputBinding, expected: string, graph: PromptGraph, objectInfo: ObjectInfo): TemplateProblem | undefined {
  const node = graph[b.node];
  if (!node) return { binding: name, nodeId: b.node, classType: undefined, code: 'binding_node_missing', message: `binding '${name}': node ${b.node} is not in the workflow — bind an existing node` };
  const outputs = objectInfo[node.class_type]?.output ?? [];
  const type = outputs[b.output];
  if (type !== expected) {
    return {
      binding: name, nodeId: b.node, classType: node.class_type, code: 'binding_type_mismatch',
      message: `binding '${name}': output ${b.output} of ${nodeLabel(b.node, node.class_type)} is ${type === undefined ? 'missing' : JSON.stringify(type)}, expected ${expected} — bind a ${expected} output`,
    };
  }
  return undefined;
}

/**
 * Checks an uploaded workflow and its bindings against one instance's object_info: the workflow as
 * ComfyUI would (bound inputs may hold any value, they are filled per generation), then each binding
 * (node present, input declared, of the expected type, holding a value rather than a link). Empty = usable there.
 */
export function checkTemplate(graph: PromptGraph, bindings: TemplateBindings, objectInfo: ObjectInfo): TemplateProblem[] {
  const bound = new Set(Object.entries(bindings).filter(([k]) => k !== 'loras').map(([, b]) => `${(b as InputBinding).node}\u0000${(b as InputBinding).input}`));
  const fillable = new Set(['value_not_in_list', 'required_input_missing', 'invalid_input_type', 'value_smaller_than_min', 'value_bigger_than_max']);
  const problems: TemplateProblem[] = validateWorkflow(graph, objectInfo).filter((p) => !(p.input && fillable.has(p.code) && bound.has(`${p.nodeId}\u0000${p.input}`)));
  if (problems.some((p) => p.code === 'missing_node_type')) return problems;
  if (!bindings.prompt) problems.push({ binding: 'prompt', nodeId: '', classType: undefined, code: 'binding_missing', message: "binding 'prompt' is missing — name the node input that receives the prompt" });
  for (const name of Object.keys(valueBindings) as ValueBindingName[]) {
    const b = bindings[name];
    if (!b) continue;
    const problem = checkValueBinding(name, b, graph, objectInfo);
    if (problem) problems.push(problem);
  }
  if (bindings.loras) {
    const m = checkOutputBinding('loras.model', bindings.loras.model, 'MODEL', graph, objectInfo);
    if (m) problems.push(m);
    const c = bindings.loras.clip ? checkOutputBinding('loras.clip', bindings.loras.clip, 'CLIP', graph, objectInfo) : undefined;
    if (c) problems.push(c);
  }
  return problems;
}
