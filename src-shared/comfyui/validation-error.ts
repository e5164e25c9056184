import { AppError, ErrorCode } from '../errors.ts';
import type { ComfyErrorBody, NodeErrors } from './api-types.ts';
import { comboValues, type InputSpec, type ObjectInfo } from './object-info.ts';
import { say, where } from './problem-text.ts';
import type { PromptGraph } from './workflow/graph.ts';
import { validateWorkflow, type WorkflowProblem } from './workflow/validate.ts';

export interface ComfyValidationDetails {
  error: ComfyErrorBody | undefined;
  node_errors: NodeErrors;
  promptId?: string;
}

/** ComfyUI rejected a prompt with HTTP 400 (API.md §3.1, §4). Never retried. */
export class ComfyValidationError extends AppError {
  declare readonly details: ComfyValidationDetails;
  /** One sentence per problem, e.g. "KSampler (node 3) input 'cfg': value 150 is above the maximum 100 — lower it". */
  readonly problems: string[];

  constructor(body: { error?: ComfyErrorBody; node_errors?: NodeErrors }, promptId?: string) {
    const problems = describeRejection(body);
    super(ErrorCode.ComfyValidation, `ComfyUI rejected the prompt: ${problems.join('; ')}`, {
      status: 400,
      expose: true,
      details: { error: body.error, node_errors: body.node_errors ?? {}, promptId },
    });
    this.name = 'ComfyValidationError';
    this.problems = problems;
  }
}

/** Turns a 400 body into sentences naming node, input and the change to make. */
export function describeRejection(body: { error?: ComfyErrorBody; node_errors?: NodeErrors }): string[] {
  const nodeErrors = body.node_errors ?? {};
  const sentences = Object.entries(nodeErrors).flatMap(([nodeId, entry]) =>
    (entry.errors ?? []).map((e) => describeNodeError(nodeId, entry.class_type, e)),
  );
  if (sentences.length > 0) return sentences;
  const e = body.error;
  if (!e) return ['no reason given'];
  const hint = topLevelHints[e.type];
  return [`${e.message}${e.details ? ` (${e.details})` : ''}${hint ? ` — ${hint}` : ''}`];
}

const topLevelHints: Record<string, string> = {
  no_prompt: 'send a prompt object',
  invalid_prompt: 'check every node has a class_type the instance knows',
  missing_node_type: 'install the custom node or use another node',
  prompt_no_outputs: 'add an output node such as SaveImage',
  invalid_prompt_id: 'send a lowercase hyphenated UUID as prompt_id',
  dependency_cycle: 'break the loop between the listed nodes',
};

function describeNodeError(nodeId: string, classType: string, e: ComfyErrorBody): string {
  const info = e.extra_info ?? {};
  const input = typeof info.input_name === 'string' ? info.input_name : undefined;
  const config = Array.isArray(info.input_config) ? (info.input_config as unknown as InputSpec) : undefined;
  const options = config?.[1];
  const at = where(nodeId, classType, input);
  switch (e.type) {
    case 'value_bigger_than_max':
      return `${at}: ${say.aboveMax(info.received_value, options?.max ?? maxFromMessage(e.message))}`;
    case 'value_smaller_than_min':
      return `${at}: ${say.belowMin(info.received_value, options?.min ?? minFromMessage(e.message))}`;
    case 'value_not_in_list':
      return `${at}: ${say.notInList(info.received_value, config ? comboValues(config) : undefined)}`;
    case 'required_input_missing':
      return `${at}: ${say.missing()}`;
    case 'return_type_mismatch':
      return `${at}: ${say.typeMismatch(String(info.received_type), String(config?.[0] ?? 'another type'), typeof info.linked_node === 'object' ? String((info.linked_node as unknown[])[0]) : undefined)}`;
    case 'invalid_input_type':
      return `${at}: ${say.wrongType(info.received_value, typeof config?.[0] === 'string' ? config[0] : 'the expected type')}`;
    case 'bad_linked_input':
      return `${at}: ${say.badLink(info.received_value)}`;
    default:
      return `${at}: ${e.message}${e.details ? ` (${e.details})` : ''} — fix this input or node`;
  }
}

// "Value 150.0 bigger than max of 100.0" when input_config is absent.
function maxFromMessage(message: string): string | undefined {
  return /max of (\S+)/.exec(message)?.[1];
}

function minFromMessage(message: string): string | undefined {
  return /min of (\S+)/.exec(message)?.[1];
}

/** Throws AppError(comfy_validation) listing every problem unless the graph fits `objectInfo`. */
export function assertWorkflowValid(graph: PromptGraph, objectInfo: ObjectInfo): void {
  const problems: WorkflowProblem[] = validateWorkflow(graph, objectInfo);
  if (problems.length === 0) return;
  throw new AppError(ErrorCode.ComfyValidation, `the workflow does not fit this ComfyUI instance: ${problems.map((p) => p.message).join('; ')}`, {
    status: 400,
    expose: true,
    details: { problems },
  });
}
