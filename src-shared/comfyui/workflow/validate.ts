import { comboValues, type InputSpec, type InputType, type NodeInfo, type ObjectInfo } from '../object-info.ts';
import { nodeLabel, say, where } from '../problem-text.ts';
import { toBigIntBound, toFloat, toInt } from './coerce.ts';
import type { PromptGraph } from './graph.ts';

export type WorkflowProblemCode =
  | 'missing_node_type'
  | 'prompt_no_outputs'
  | 'missing_inputs'
  | 'required_input_missing'
  | 'bad_linked_input'
  | 'link_to_missing_node'
  | 'bad_output_index'
  | 'return_type_mismatch'
  | 'link_expected'
  | 'invalid_input_type'
  | 'value_smaller_than_min'
  | 'value_bigger_than_max'
  | 'value_not_in_list'
  | 'dependency_cycle';

export interface WorkflowProblem {
  nodeId: string;
  classType: string | undefined;
  input?: string;
  code: WorkflowProblemCode;
  /** A full sentence: which node and input, what is wrong, what to change. */
  message: string;
}

const literalTypes = new Set(['INT', 'FLOAT', 'STRING', 'BOOLEAN', 'COMBO']);

/**
 * Checks a prompt against the target instance's object_info the way ComfyUI's
 * `validate_prompt` would (API.md §4, §11): every class must exist; only nodes upstream of an
 * output node are checked further. Returns every problem found (empty = submit-ready).
 */
export function validateWorkflow(graph: PromptGraph, objectInfo: ObjectInfo): WorkflowProblem[] {
  const problems: WorkflowProblem[] = [];
  const ids = Object.keys(graph);

  for (const id of ids) {
    const classType = graph[id]?.class_type;
    if (typeof classType !== 'string' || !classType) {
      problems.push({ nodeId: id, classType: undefined, code: 'missing_node_type', message: `node ${id} has no class_type — set the node's class_type` });
    } else if (!objectInfo[classType]) {
      problems.push({
        nodeId: id,
        classType,
        code: 'missing_node_type',
        message: `${nodeLabel(id, classType)}: node type '${classType}' does not exist on this instance — install the custom node or use another node`,
      });
    }
  }
  if (problems.length > 0) return problems;

  const outputs = ids.filter((id) => objectInfo[graph[id]!.class_type]!.output_node);
  if (outputs.length === 0) {
    return [{ nodeId: '', classType: undefined, code: 'prompt_no_outputs', message: 'the prompt has no output node — add a SaveImage (or another output node)' }];
  }

  for (const id of upstreamOf(outputs, graph)) {
    problems.push(...validateNode(id, graph, objectInfo));
  }
  problems.push(...findCycles(outputs, graph));
  return problems;
}

const selfValidated: Record<string, readonly string[]> = { LoadImage: ['image'] };

function validateNode(id: string, graph: PromptGraph, objectInfo: ObjectInfo): WorkflowProblem[] {
  const node = graph[id]!;
  const info = objectInfo[node.class_type]!;
  const problem = (input: string, code: WorkflowProblemCode, text: string): WorkflowProblem => ({
    nodeId: id,
    classType: node.class_type,
    input,
    code,
    message: `${where(id, node.class_type, input)}: ${text}`,
  });

  if (typeof node.inputs !== 'object' || node.inputs === null) {
    return [{ nodeId: id, classType: node.class_type, code: 'missing_inputs', message: `${nodeLabel(id, node.class_type)} has no 'inputs' object — add one` }];
  }
  const found: WorkflowProblem[] = [];
  const declared: [string, InputSpec, boolean][] = [
    ...Object.entries(info.input.required ?? {}).map(([n, s]): [string, InputSpec, boolean] => [n, s, true]),
    ...Object.entries(info.input.optional ?? {}).map(([n, s]): [string, InputSpec, boolean] => [n, s, false]),
  ];
  for (const [name, spec, required] of declared) {
    if (!Object.hasOwn(node.inputs, name) || node.inputs[name] === undefined) {
      if (required) found.push(problem(name, 'required_input_missing', say.missing()));
      continue;
    }
    // ComfyUI skips its own checks of inputs a node validates itself (VALIDATE_INPUTS): LoadImage's file
    // may have been uploaded after this object_info was read.
    if (selfValidated[node.class_type]?.includes(name) && !Array.isArray(node.inputs[name])) continue;
    const issue = checkInput(node.inputs[name], spec, graph, objectInfo);
    if (issue) found.push(problem(name, issue.code, issue.text));
  }
  return found;
}

interface Issue {
  code: WorkflowProblemCode;
  text: string;
}

function checkInput(raw: unknown, spec: InputSpec, graph: PromptGraph, objectInfo: ObjectInfo): Issue | undefined {
  const [type, options] = spec;
  if (Array.isArray(raw)) return checkLink(raw, type, graph, objectInfo);

  const value = isWrapped(raw) ? raw.__value__ : raw;
  const choices = comboValues(spec);
  if (choices) {
    return choices.some((c) => c === value) ? undefined : { code: 'value_not_in_list', text: say.notInList(value, choices) };
  }
  if (typeof type !== 'string') return undefined;
  if (type === 'INT') {
    const n = toInt(value);
    if (!n.ok) return { code: 'invalid_input_type', text: say.wrongType(value, 'INT') };
    if (options?.min !== undefined && n.value < toBigIntBound(options.min)) return { code: 'value_smaller_than_min', text: say.belowMin(n.value, options.min) };
    if (options?.max !== undefined && n.value > toBigIntBound(options.max)) return { code: 'value_bigger_than_max', text: say.aboveMax(n.value, options.max) };
    return undefined;
  }
  if (type === 'FLOAT') {
    const n = toFloat(value);
    if (!n.ok) return { code: 'invalid_input_type', text: say.wrongType(value, 'FLOAT') };
    if (options?.min !== undefined && n.value < Number(options.min)) return { code: 'value_smaller_than_min', text: say.belowMin(n.value, options.min) };
    if (options?.max !== undefined && n.value > Number(options.max)) return { code: 'value_bigger_than_max', text: say.aboveMax(n.value, options.max) };
    return undefined;
  }
  if (type === 'STRING' || type === 'BOOLEAN') {
    // ComfyUI accepts str(v)/bool(v) of anything but a missing value.
    return value === null ? { code: 'invalid_input_type', text: say.wrongType(value, type) } : undefined;
  }
  if (type !== '*' && !literalTypes.has(type)) {
    // ComfyUI lets this through validation and fails at execution; catch it now.
    return { code: 'link_expected', text: `got the literal ${JSON.stringify(String(value))} but expects a link from a node that outputs ${type} — connect one` };
  }
  return undefined;
}

function checkLink(raw: unknown[], type: InputType, graph: PromptGraph, objectInfo: ObjectInfo): Issue | undefined {
  if (raw.length !== 2 || typeof raw[0] !== 'string' || typeof raw[1] !== 'number') {
    return { code: 'bad_linked_input', text: say.badLink(raw) };
  }
  const [from, slot] = raw as [string, number];
  const source = graph[from];
  if (!source) return { code: 'link_to_missing_node', text: `links to node ${from}, which is not in the prompt — link an existing node` };
  const sourceInfo: NodeInfo = objectInfo[source.class_type]!;
  if (!Number.isInteger(slot) || slot < 0 || slot >= sourceInfo.output.length) {
    return {
      code: 'bad_output_index',
      text: `links to output ${slot} of ${nodeLabel(from, source.class_type)}, which has ${sourceInfo.output.length} output(s) — use an index from 0 to ${sourceInfo.output.length - 1}`,
    };
  }
  const received = sourceInfo.output[slot]!;
  if (!typesCompatible(received, type)) {
    return { code: 'return_type_mismatch', text: say.typeMismatch(typeName(received), typeName(type), from) };
  }
  return undefined;
}

function typeName(type: InputType): string {
  return typeof type === 'string' ? type : 'COMBO';
}

/** `comfy_execution/validation.py` `validate_node_input`: equal, "*", or intersecting comma sets. */
function typesCompatible(received: InputType, expected: InputType): boolean {
  const a = typeName(received);
  const b = typeName(expected);
  if (a === b || a === '*' || b === '*') return true;
  const setA = new Set(a.split(',').map((s) => s.trim()));
  return b.split(',').some((t) => setA.has(t.trim()));
}

function isWrapped(value: unknown): value is { __value__: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, '__value__');
}

function linkedIds(graph: PromptGraph, id: string): string[] {
  const inputs = graph[id]?.inputs;
  if (typeof inputs !== 'object' || inputs === null) return [];
  return Object.values(inputs).flatMap((v) => (Array.isArray(v) && typeof v[0] === 'string' && graph[v[0]] ? [v[0]] : []));
}

function upstreamOf(outputs: string[], graph: PromptGraph): string[] {
  const seen = new Set<string>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...linkedIds(graph, id));
  }
  // Keep prompt (document) order so problems are reported in a stable order.
  return Object.keys(graph).filter((id) => seen.has(id));
}

function findCycles(outputs: string[], graph: PromptGraph): WorkflowProblem[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const problems: WorkflowProblem[] = [];
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(id)), id];
      problems.push({
        nodeId: id,
        classType: graph[id]?.class_type,
        code: 'dependency_cycle',
        message: `dependency cycle ${cycle.map((n) => `${graph[n]?.class_type} (${n})`).join(' -> ')} — break the loop`,
      });
      return;
    }
    state.set(id, 'visiting');
    for (const next of linkedIds(graph, id)) visit(next, [...path, id]);
    state.set(id, 'done');
  };
  for (const o of outputs) visit(o, []);
  return problems;
}
