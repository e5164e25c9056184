/** API-format prompt graph (API.md §2): node id string → node. */

/** A link `[source_node_id, output_index]`. */
export type Link = readonly [string, number];

/**
 * A literal or a link. Integers beyond 2^53 (seeds) are carried as `bigint` so they reach the
 * wire exactly; `serializePrompt` writes them as raw JSON numbers.
 */
export type InputValue = string | number | bigint | boolean | null | Link | { __value__: unknown };

export interface PromptNode {
  class_type: string;
  inputs: Record<string, InputValue>;
  _meta?: { title?: string };
}

export type PromptGraph = Record<string, PromptNode>;

export function link(nodeId: string, outputIndex: number): Link {
  return [nodeId, outputIndex] as const;
}

/** ComfyUI's `is_link`: a 2-element list whose first item is a string and second a number. */
export function isLink(value: unknown): value is Link {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'number';
}
