/**
 * `execution.validate_prompt` / `validate_inputs` of ComfyUI, as a pure function over Python-typed
 * JSON (see pyjson.ts). Contract: API.md §4 and §11.
 */
import { deepCopy, isDict, str, repr, typeName, type Loose, type PyDict, type PyValue } from './pyjson.ts';
import { keyError, pyBool, pyEquals, PyException, pyFloatOf, pyInt, pyLess } from './pyops.ts';
import { nodeDef, type NodeDef } from './objectInfo.ts';
import { findCycle } from './graph.ts';

export type ApiError = { type: string; message: string; details: string; extra_info: Loose };
export type NodeErrors = Map<string, { errors: ApiError[]; dependent_outputs: string[]; class_type: string }>;

export interface ValidationResult {
  ok: boolean;
  error: ApiError | null;
  goodOutputs: string[];
  nodeErrors: NodeErrors;
  /** The prompt to queue: coerced values written back for nodes upstream of a good output (§11.2). */
  prompt: PyDict;
}

export interface ValidationEnv {
  objectInfo: PyDict;
  newer: boolean;
  /** `LoadImage.VALIDATE_INPUTS`: does this (possibly annotated) input file exist? */
  inputFileExists(name: string): boolean;
}

type Verdict = { ok: boolean; errors: ApiError[] };

const fakeTraceback = (fn: string): string[] => [`  File "/ComfyUI/execution.py", line 700, in ${fn}\n    raise\n`];

function fail(type: string, message: string, details: string, extra: Loose = {}): ApiError {
  return { type, message, details, extra_info: extra };
}

/** `comfy_execution/validation.py` `validate_node_input` (non-strict). */
export function typesCompatible(received: PyValue, expected: PyValue): boolean {
  if (pyEquals(received, expected)) return true;
  if (typeof received !== 'string' || typeof expected !== 'string') return false;
  if (received === '*' || expected === '*') return true;
  const a = new Set(received.split(',').map((t) => t.trim()));
  return expected.split(',').some((t) => a.has(t.trim()));
}

function dictLookup(prompt: PyDict, key: PyValue): PyValue {
  if (Array.isArray(key) || isDict(key)) throw new PyException('TypeError', `unhashable type: '${typeName(key)}'`);
  if (typeof key === 'string' && prompt.has(key)) return prompt.get(key)!;
  throw keyError(key);
}

function tupleIndex(items: PyValue[], index: PyValue): PyValue {
  if (typeof index !== 'bigint' && typeof index !== 'boolean') {
    throw new PyException('TypeError', `tuple indices must be integers or slices, not ${typeName(index)}`);
  }
  let i = Number(typeof index === 'boolean' ? (index ? 1 : 0) : index);
  if (i < 0) i += items.length;
  if (i < 0 || i >= items.length) throw new PyException('IndexError', 'tuple index out of range');
  return items[i]!;
}

function coerce(inputType: PyValue, val: PyValue): PyValue {
  if (inputType === 'INT') return pyInt(val);
  if (inputType === 'FLOAT') return pyFloatOf(val);
  if (inputType === 'STRING') return str(val);
  if (inputType === 'BOOLEAN') return pyBool(val);
  return val;
}

class Validator {
  readonly prompt: PyDict;
  readonly env: ValidationEnv;
  readonly validated = new Map<string, Verdict>();
  private readonly inProgress = new Set<string>();

  constructor(prompt: PyDict, env: ValidationEnv) {
    this.prompt = prompt;
    this.env = env;
  }

  def(classType: string): NodeDef {
    return nodeDef(this.env.objectInfo, classType)!;
  }

  validateInputs(id: string): Verdict {
    const memo = this.validated.get(id);
    if (memo) return memo;
    if (this.inProgress.has(id)) throw new PyException('RecursionError', 'maximum recursion depth exceeded');
    this.inProgress.add(id);
    try {
      const verdict = this.validateNode(id);
      this.validated.set(id, verdict);
      return verdict;
    } finally {
      this.inProgress.delete(id);
    }
  }

  private validateNode(id: string): Verdict {
    const node = this.prompt.get(id) as PyDict;
    if (!node.has('inputs')) throw keyError('inputs');
    const inputs = node.get('inputs')!;
    if (!isDict(inputs)) throw new PyException('TypeError', `argument of type '${typeName(inputs)}' is not iterable`);
    const def = this.def(node.get('class_type') as string);
    const customInputs = def.classType === 'LoadImage' ? ['image'] : [];
    const errors: ApiError[] = [];
    let valid = true;
    const specs: [string, string, PyValue][] = [
      ...[...def.required].map(([n, s]): [string, string, PyValue] => ['required', n, s]),
      ...[...def.optional].map(([n, s]): [string, string, PyValue] => ['optional', n, s]),
    ];
    for (const [category, name, spec] of specs) {
      const specList = spec as PyValue[];
      const inputType = specList[0]!;
      const extra = (specList.length > 1 ? specList[1] : new Map()) as PyDict;
      const config: Loose = [inputType, extra];
      if (!inputs.has(name)) {
        if (category === 'required') errors.push(fail('required_input_missing', 'Required input is missing', name, { input_name: name }));
        continue;
      }
      let val: PyValue = inputs.get(name)!;
      if (Array.isArray(val)) {
        if (val.length !== 2) {
          errors.push(fail('bad_linked_input', 'Bad linked input, must be a length-2 list of [node_id, slot_index]', name, { input_name: name, input_config: config, received_value: val }));
          continue;
        }
        const upstream = dictLookup(this.prompt, val[0]!) as PyDict;
        const receivedType = tupleIndex(this.def(upstream.get('class_type') as string).outputs, val[1]!);
        if (!typesCompatible(receivedType, inputType)) {
          errors.push(fail('return_type_mismatch', 'Return type mismatch between linked nodes', `${name}, received_type(${str(receivedType)}) mismatch input_type(${str(inputType)})`, {
            input_name: name, input_config: config, received_type: receivedType, linked_node: val,
          }));
          continue;
        }
        const upstreamId = val[0] as string;
        try {
          if (!this.validateInputs(upstreamId).ok) valid = false;
        } catch (ex) {
          const e = ex instanceof PyException ? ex : new PyException('Exception', String(ex));
          valid = false;
          this.validated.set(upstreamId, { ok: false, errors: [fail('exception_during_inner_validation', 'Exception when validating inner node', e.message, {
            input_name: name, input_config: config, exception_message: e.message, exception_type: e.pyType, traceback: fakeTraceback('validate_inputs'), linked_node: val,
          })] });
        }
        continue;
      }
      try {
        if (isDict(val) && val.has('__value__')) {
          val = val.get('__value__')!;
          inputs.set(name, val);
        }
        const converted = coerce(inputType, val);
        if (converted !== val) inputs.set(name, converted);
        val = converted;
      } catch (ex) {
        const msg = ex instanceof Error ? ex.message : String(ex);
        errors.push(fail('invalid_input_type', `Failed to convert an input value to a ${str(inputType)} value`, `${name}, ${str(val)}, ${msg}`, {
          input_name: name, input_config: config, received_value: val, exception_message: msg,
        }));
        continue;
      }
      if (customInputs.includes(name)) continue;
      const min = extra.get('min');
      if (min !== undefined && pyLess(val, min)) {
        errors.push(fail('value_smaller_than_min', `Value ${str(val)} smaller than min of ${str(min)}`, name, { input_name: name, input_config: config, received_value: val }));
        continue;
      }
      const max = extra.get('max');
      if (max !== undefined && pyLess(max, val)) {
        errors.push(fail('value_bigger_than_max', `Value ${str(val)} bigger than max of ${str(max)}`, name, { input_name: name, input_config: config, received_value: val }));
        continue;
      }
      if (Array.isArray(inputType) && !inputType.some((option) => pyEquals(option, val))) {
        const big = inputType.length > 20;
        const listInfo = big ? `(list of length ${inputType.length})` : repr(inputType);
        errors.push(fail('value_not_in_list', 'Value not in list', `${name}: '${str(val)}' not in ${listInfo}`, {
          input_name: name, input_config: big ? null : config, received_value: val,
        }));
      }
    }
    for (const name of customInputs) {
      if (!inputs.has(name)) continue;
      const value = str(inputs.get(name)!);
      if (!this.env.inputFileExists(value)) {
        errors.push(fail('custom_validation_failed', 'Custom validation failed for node', `${name} - Invalid image file: ${value}`, { input_name: name }));
      }
    }
    return { ok: errors.length === 0 && valid, errors };
  }
}

function checkClassTypes(prompt: PyDict, env: ValidationEnv): ApiError | null {
  for (const [id, node] of prompt) {
    const meta = isDict(node) ? node.get('_meta') : undefined;
    const title = isDict(meta) && typeof meta.get('title') === 'string' ? (meta.get('title') as string) : undefined;
    if (!isDict(node) || !node.has('class_type')) {
      if (env.newer) {
        return fail('missing_node_type', `Node '${title ?? `ID #${id}`}' has no class_type. The workflow may be corrupted or a custom node is missing.`, `Node ID '#${id}'`, { node_id: id, class_type: null, node_title: title ?? null });
      }
      return fail('invalid_prompt', 'Cannot execute because a node is missing the class_type property.', `Node ID '#${id}'`);
    }
    const classType = node.get('class_type')!;
    if (Array.isArray(classType) || isDict(classType)) throw new PyException('TypeError', `unhashable type: '${typeName(classType)}'`);
    if (typeof classType !== 'string' || !nodeDef(env.objectInfo, classType)) {
      if (env.newer) {
        return fail('missing_node_type', `Node '${title ?? str(classType)}' not found. The custom node may not be installed.`, `Node ID '#${id}'`, { node_id: id, class_type: classType, node_title: title ?? str(classType) });
      }
      return fail('invalid_prompt', `Cannot execute because node ${str(classType)} does not exist.`, `Node ID '#${id}'`);
    }
  }
  return null;
}

function isTarget(targets: PyValue | undefined, id: string): boolean {
  if (targets === undefined || targets === null) return true;
  if (typeof targets === 'string') return targets.includes(id);
  if (Array.isArray(targets)) return targets.some((t) => t === id);
  if (isDict(targets)) return targets.has(id);
  throw new PyException('TypeError', `argument of type '${typeName(targets)}' is not iterable`);
}

/** Node ids reachable upstream from `roots` through links (roots included). */
export function upstreamClosure(prompt: PyDict, roots: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id) || !prompt.has(id)) continue;
    seen.add(id);
    const inputs = (prompt.get(id) as PyDict).get('inputs');
    if (!isDict(inputs)) continue;
    for (const v of inputs.values()) if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string') stack.push(v[0]);
  }
  return seen;
}

/** `validate_prompt(prompt_id, prompt, partial_execution_targets)`. Throws PyException where ComfyUI answers 500. */
export function validatePrompt(original: PyDict, env: ValidationEnv, targets?: PyValue): ValidationResult {
  const rejected = (error: ApiError): ValidationResult => ({ ok: false, error, goodOutputs: [], nodeErrors: new Map(), prompt: original });
  const classError = checkClassTypes(original, env);
  if (classError) return rejected(classError);
  const outputs = [...original.keys()].filter((id) => nodeDef(env.objectInfo, (original.get(id) as PyDict).get('class_type') as string)!.isOutput && isTarget(targets, id));
  if (outputs.length === 0) return rejected(fail('prompt_no_outputs', 'Prompt has no outputs', ''));
  if (env.newer) {
    const cycle = findCycle(original, outputs);
    if (cycle) {
      const path = cycle.map((id) => `${id} (${str((original.get(id) as PyDict).get('class_type')!)})`).join(' -> ');
      return rejected(fail('dependency_cycle', 'Dependency cycle detected', path, { node_id: cycle[0]!, cycle_nodes: cycle.slice(0, -1) }));
    }
  }
  const work = deepCopy(original);
  const v = new Validator(work, env);
  const good: string[] = [];
  const failures: [string, ApiError[]][] = [];
  const nodeErrors: NodeErrors = new Map();
  for (const o of outputs) {
    let verdict: Verdict;
    try {
      verdict = v.validateInputs(o);
    } catch (ex) {
      const e = ex instanceof PyException ? ex : new PyException('Exception', String(ex));
      verdict = { ok: false, errors: [fail('exception_during_validation', 'Exception when validating node', e.message, { exception_type: e.pyType, traceback: fakeTraceback('validate_prompt') })] };
      v.validated.set(o, verdict);
    }
    if (verdict.ok) {
      good.push(o);
      continue;
    }
    failures.push([o, verdict.errors]);
    for (const [id, result] of v.validated) {
      if (result.ok || result.errors.length === 0) continue;
      if (!nodeErrors.has(id)) nodeErrors.set(id, { errors: result.errors, dependent_outputs: [], class_type: (work.get(id) as PyDict).get('class_type') as string });
      nodeErrors.get(id)!.dependent_outputs.push(o);
    }
  }
  if (good.length === 0) {
    const details = failures.flatMap(([, errs]) => errs.map((e) => `${e.message}: ${e.details}`)).join('\n');
    return { ok: false, error: fail('prompt_outputs_failed_validation', 'Prompt outputs failed validation', details), goodOutputs: [], nodeErrors, prompt: original };
  }
  const coerced = upstreamClosure(work, good);
  const prompt: PyDict = new Map([...original].map(([id, node]) => [id, coerced.has(id) ? work.get(id)! : node]));
  return { ok: true, error: null, goodOutputs: good, nodeErrors, prompt };
}

