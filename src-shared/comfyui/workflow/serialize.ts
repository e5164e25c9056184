import { stringifyJsonLossless } from '../json.ts';
import type { PromptGraph } from './graph.ts';

/** The JSON body of `POST /prompt` (API.md §3.1). */
export interface PromptRequestBody {
  prompt: PromptGraph;
  client_id?: string;
  prompt_id?: string;
  extra_data?: Record<string, unknown>;
  front?: boolean;
  number?: number;
  partial_execution_targets?: string[];
}

/** Serializes a prompt request; `bigint` seeds are written digit for digit. */
export function serializePrompt(body: PromptRequestBody | PromptGraph): string {
  return stringifyJsonLossless(body);
}
