/** `GET /object_info` shapes (API.md §3.10). Integers may be `bigint` (seed max 2^64-1). */

export type Bound = number | bigint;

export interface InputOptions {
  default?: unknown;
  min?: Bound;
  max?: Bound;
  step?: Bound;
  /** V3 `["COMBO", {options: [...]}]`. */
  options?: unknown[];
  tooltip?: string;
  [key: string]: unknown;
}

/** TYPE is a type name ("INT", "MODEL", "COMBO") or the list of allowed values of a combo. */
export type InputType = string | unknown[];

export type InputSpec = readonly [InputType] | readonly [InputType, InputOptions];

export interface NodeInfo {
  input: {
    required?: Record<string, InputSpec>;
    optional?: Record<string, InputSpec>;
    hidden?: Record<string, unknown>;
  };
  input_order?: Record<string, string[]>;
  output: InputType[];
  output_is_list?: boolean[];
  output_name?: string[];
  name: string;
  display_name?: string;
  description?: string;
  category?: string;
  output_node: boolean;
  [key: string]: unknown;
}

export type ObjectInfo = Record<string, NodeInfo>;

/** The allowed values of a combo input, or undefined when the input is not a combo. */
export function comboValues(spec: InputSpec): unknown[] | undefined {
  const [type, options] = spec;
  if (Array.isArray(type)) return type;
  if (type === 'COMBO' && Array.isArray(options?.options)) return options.options;
  return undefined;
}
