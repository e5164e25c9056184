/**
 * `execution.validate_prompt` / `validate_inputs` of ComfyUI, as a pure function over Python-typed
 * JSON (see pyjson.ts). Contract: API.md §4 and §11.
 */
import { deepCopy, isDict, str, repr, typeName, type Loose, type PyDict, type PyValue } from './pyjson.ts';
import { pyContains, pyDictGet, pyGetItem, pyIndex, pyIter, pySetItem } from './pycontainers.ts';
import { pyBool, pyEquals, PyException, pyFloatOf, pyInt, pyLess } from './pyops.ts';
import { nodeDef, type NodeDef } from './objectInfo.ts';
import { isLink } from './graph.ts';

export type ApiError = { type: string; message: string; details: string; extra_info: Loose };
export type NodeErrors = Map<string, { errors: ApiError[]; dependent_outputs: string[]; class_type: string }>;

export type ValidationResult =
  | { ok: false; error: ApiError; nodeErrors: NodeErrors }
  /** `prompt` is what to queue: coerced values written back for nodes upstream of a good output (§11.2). */
  | { ok: true; goodOutputs: string[]; nodeErrors: NodeErrors; prompt: PyDict };

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
  private readonly visiting: string[] = [];

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
    if (this.visiting.includes(id)) {
      // BASELINE recurses until Python's RecursionError; NEWER reports the cycle on every node in it.
      if (!this.env.newer) throw new PyException('RecursionError', 'maximum recursion depth exceeded');
      return this.recordCycle(id);
    }
    this.visiting.push(id);
    try {
      const own = this.validateNode(id);
      const prior = this.validated.get(id);
      const verdict = prior ? { ok: prior.ok && own.ok, errors: [...prior.errors, ...own.errors] } : own;
      this.validated.set(id, verdict);
      return verdict;
    } finally {
      this.visiting.pop();
    }
  }

  /** NEWER `validate_inputs`: `dependency_cycle` on each node of visiting[index(id):] + [id]. */
  private recordCycle(id: string): Verdict {
    const path = [...this.visiting.slice(this.visiting.indexOf(id)), id];
    const nodes = [...new Set(path)];
    const details = path.map((n) => `${n} (${str(pyGetItem(pyGetItem(this.prompt, n), 'class_type'))})`).join(' -> ');
    for (const n of nodes) {
      this.validated.set(n, { ok: false, errors: [fail('dependency_cycle', 'Dependency cycle detected', details, { node_id: n, cycle_nodes: nodes })] });
    }
    return this.validated.get(id)!;
  }

  private validateNode(id: string): Verdict {
    const node = pyGetItem(this.prompt, id);
    const inputs = pyGetItem(node, 'inputs');
    const def = this.def(pyGetItem(node, 'class_type') as string);
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
      if (!pyContains(inputs, name)) {
        if (category === 'required') errors.push(fail('required_input_missing', 'Required input is missing', name, { input_name: name }));
        continue;
      }
      let val: PyValue = pyGetItem(inputs, name);
      if (Array.isArray(val)) {
        if (val.length !== 2) {
          errors.push(fail('bad_linked_input', 'Bad linked input, must be a length-2 list of [node_id, slot_index]', name, { input_name: name, input_config: config, received_value: val }));
          continue;
        }
        // prompt[o_id]['class_type'] and RETURN_TYPES[slot] sit outside any try in validate_inputs.
        const upstream = pyGetItem(this.prompt, val[0]!);
        const outputs = this.def(pyGetItem(upstream, 'class_type') as string).outputs;
        const receivedType = outputs[pyIndex(outputs.length, val[1]!, 'tuple')]!;
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
          pySetItem(inputs, name, val);
        }
        const converted = coerce(inputType, val);
        if (converted !== val) pySetItem(inputs, name, converted);
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
      // `isinstance(input_type, list) or input_type == io.Combo.io_type` (V3 nodes: the options ride in extra_info).
      const comboOptions = Array.isArray(inputType) ? inputType : inputType === 'COMBO' ? ((extra.get('options') as PyValue[] | undefined) ?? []) : undefined;
      if (comboOptions && !comboOptions.some((option) => pyEquals(option, val))) {
        const big = comboOptions.length > 20;
        const listInfo = big ? `(list of length ${comboOptions.length})` : repr(comboOptions);
        errors.push(fail('value_not_in_list', 'Value not in list', `${name}: '${str(val)}' not in ${listInfo}`, {
          input_name: name, input_config: big ? null : config, received_value: val,
        }));
      }
    }
    if (customInputs.length > 0) errors.push(...this.loadImageValidateInputs(inputs));
    return { ok: errors.length === 0 && valid, errors };
  }

  /**
   * `LoadImage.VALIDATE_INPUTS(image)`, called with what `get_input_data` passes: nothing when the input is
   * absent (TypeError), None for a link, else the value, on which `annotated_filepath` calls `.endswith`.
   */
  private loadImageValidateInputs(inputs: PyValue): ApiError[] {
    for (const x of pyIter(inputs)) pyGetItem(inputs, x);
    if (!isDict(inputs) || !inputs.has('image')) throw new PyException('TypeError', "LoadImage.VALIDATE_INPUTS() missing 1 required positional argument: 'image'");
    const value = inputs.get('image')!;
    if (typeof value !== 'string') {
      throw new PyException('AttributeError', `'${isLink(value) ? 'NoneType' : typeName(value)}' object has no attribute 'endswith'`);
    }
    if (this.env.inputFileExists(value)) return [];
    return [fail('custom_validation_failed', 'Custom validation failed for node', `image - Invalid image file: ${value}`, { input_name: 'image' })];
  }
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

/** Step 1 of `validate_prompt` for node `x`: a class check error, or whether it is a wanted output node. */
function checkNode(x: PyValue, node: PyValue, env: ValidationEnv, targets: PyValue | undefined): ApiError | boolean {
  if (!pyContains(node, 'class_type')) {
    if (env.newer) {
      const title = pyDictGet(pyDictGet(node, '_meta', new Map()), 'title', null);
      return fail('missing_node_type', `Node '${pyBool(title) ? str(title) : `ID #${str(x)}`}' has no class_type. The workflow may be corrupted or a custom node is missing.`, `Node ID '#${str(x)}'`, { node_id: x, class_type: null, node_title: title });
    }
    return fail('invalid_prompt', 'Cannot execute because a node is missing the class_type property.', `Node ID '#${str(x)}'`);
  }
  const classType = pyGetItem(node, 'class_type');
  if (Array.isArray(classType) || isDict(classType)) throw new PyException('TypeError', `unhashable type: '${typeName(classType)}'`);
  const def = typeof classType === 'string' ? nodeDef(env.objectInfo, classType) : undefined;
  if (!def) {
    if (env.newer) {
      const title = pyDictGet(pyDictGet(node, '_meta', new Map()), 'title', classType);
      return fail('missing_node_type', `Node '${str(title)}' not found. The custom node may not be installed.`, `Node ID '#${str(x)}'`, { node_id: x, class_type: classType, node_title: title });
    }
    return fail('invalid_prompt', `Cannot execute because node ${str(classType)} does not exist.`, `Node ID '#${str(x)}'`);
  }
  return def.isOutput && (targets === undefined || targets === null || pyContains(targets, x));
}

/**
 * `validate_prompt(prompt_id, prompt, partial_execution_targets)` for any JSON `prompt`: ComfyUI never checks
 * its type, so a list or string is iterated and indexed the Python way. Throws PyException where ComfyUI answers 500.
 */
export function validatePrompt(original: PyValue, env: ValidationEnv, targets?: PyValue): ValidationResult {
  const rejected = (error: ApiError): ValidationResult => ({ ok: false, error, nodeErrors: new Map() });
  const outputs: string[] = [];
  for (const x of pyIter(original)) {
    const verdict = checkNode(x, pyGetItem(original, x), env, targets);
    if (verdict === true) outputs.push(x as string);
    else if (verdict !== false) return rejected(verdict);
  }
  if (outputs.length === 0) return rejected(fail('prompt_no_outputs', 'Prompt has no outputs', ''));
  // Only a dict gets here: list items and string characters cannot index their own container and name an output.
  if (!isDict(original)) throw new Error(`validatePrompt: a ${typeName(original)} prompt yielded outputs`);
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
    return { ok: false, error: fail('prompt_outputs_failed_validation', 'Prompt outputs failed validation', details), nodeErrors };
  }
  const coerced = upstreamClosure(work, good);
  const prompt: PyDict = new Map([...original].map(([id, node]) => [id, coerced.has(id) ? work.get(id)! : node]));
  return { ok: true, goodOutputs: good, nodeErrors, prompt };
}

