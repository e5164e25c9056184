/** Response shapes of the ComfyUI HTTP API (API.md §3), as our client exposes them. */
import type { PromptGraph } from './workflow/graph.ts';

/** `{filename, subfolder, type}` of a saved or preview image (API.md §7). */
export interface ImageRef {
  filename: string;
  subfolder: string;
  type: 'output' | 'input' | 'temp' | (string & {});
}

/** A node's UI dict: `{images: [...]}` for SaveImage; other nodes use other keys. */
export interface NodeOutput {
  images?: ImageRef[];
  [key: string]: unknown;
}

export interface ComfyErrorBody {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export interface NodeErrorEntry {
  errors: ComfyErrorBody[];
  dependent_outputs: string[];
  class_type: string;
}

export type NodeErrors = Record<string, NodeErrorEntry>;

export interface SubmitResult {
  promptId: string;
  /** Queue priority number; undefined when a retried submission was found already queued/done. */
  number: number | undefined;
  /** Output nodes that failed validation while others were queued (200 with node_errors). */
  nodeErrors: NodeErrors;
}

/** `[number, prompt_id, prompt, extra_data, outputs_to_execute]`. */
export type QueueItem = [number, string, PromptGraph, Record<string, unknown>, string[], ...unknown[]];

export interface QueueSnapshot {
  running: QueueItem[];
  /** Sorted in run order (by number, then prompt id). */
  pending: QueueItem[];
}

export type QueuePosition =
  | { state: 'running' }
  /** position 0 = runs next. */
  | { state: 'pending'; position: number }
  | { state: 'absent' };

export interface ExecutionErrorData {
  prompt_id: string;
  node_id: string;
  node_type: string;
  executed: string[];
  exception_message: string;
  exception_type: string;
  traceback: string[];
  current_inputs: unknown;
  current_outputs: unknown;
  timestamp?: number;
}

export interface ExecutionInterruptedData {
  prompt_id: string;
  node_id: string;
  node_type: string;
  executed: string[];
  timestamp?: number;
}

export type HistoryMessage = [string, Record<string, unknown>];

export interface HistoryEntry {
  prompt: QueueItem;
  outputs: Record<string, NodeOutput>;
  status: { status_str: 'success' | 'error'; completed: boolean; messages: HistoryMessage[] };
  meta?: Record<string, unknown>;
}

export interface SystemStats {
  system: { os: string; comfyui_version?: string; ram_total?: number; ram_free?: number; [key: string]: unknown };
  devices: { name: string; type: string; index: number | null; vram_total: number; vram_free: number; [key: string]: unknown }[];
}

export type CancelResult = 'dequeued' | 'interrupted' | 'not_found';
