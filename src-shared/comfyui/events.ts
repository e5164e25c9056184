/** ComfyUI WebSocket messages (API.md §5) as a discriminated union, plus their parsers. */
import type { ExecutionErrorData, ExecutionInterruptedData, NodeOutput } from './api-types.ts';
import { parseJsonLossless } from './json.ts';

export interface ProgressNodeState {
  value: number;
  max: number;
  state: 'pending' | 'running' | 'finished' | 'error' | (string & {});
  node_id: string;
  prompt_id: string;
  display_node_id?: string;
  parent_node_id?: string | null;
  real_node_id?: string;
}

export type ComfyEvent =
  | { type: 'status'; data: { status: { exec_info: { queue_remaining: number } }; sid?: string } }
  /** Newer servers may tag prompt events with `workflow_id` (the frontend workflow's id); it is carried, never needed. */
  | { type: 'execution_start'; data: { prompt_id: string; timestamp?: number; workflow_id?: string } }
  | { type: 'execution_cached'; data: { nodes: string[]; prompt_id: string; timestamp?: number } }
  /** `node: null` = the prompt finished (any outcome); history is written by then. */
  | { type: 'executing'; data: { node: string | null; display_node?: string; prompt_id?: string } }
  | { type: 'progress'; data: { value: number; max: number; prompt_id?: string; node?: string } }
  | { type: 'progress_state'; data: { prompt_id: string; nodes: Record<string, ProgressNodeState> } }
  | { type: 'executed'; data: { node: string; display_node?: string; output: NodeOutput | null; prompt_id: string } }
  | { type: 'execution_success'; data: { prompt_id: string; timestamp?: number; workflow_id?: string } }
  | { type: 'execution_error'; data: ExecutionErrorData }
  | { type: 'execution_interrupted'; data: ExecutionInterruptedData }
  | { type: 'feature_flags'; data: Record<string, unknown> }
  /** Binary type 1 (no metadata) or 4 (with metadata) preview frame. */
  | { type: 'preview'; format: 'jpeg' | 'png' | 'unknown'; image: Buffer; metadata?: PreviewMetadata }
  /** Binary type 3: progress text from API/partner nodes. */
  | { type: 'progress_text'; nodeId: string; text: string }
  /** Custom nodes may send other types; clients must ignore what they do not know. */
  | { type: 'unknown'; rawType: string | number; data: unknown };

export interface PreviewMetadata {
  node_id?: string;
  prompt_id?: string;
  display_node_id?: string;
  parent_node_id?: string | null;
  real_node_id?: string;
  image_type?: string;
}

const knownTextTypes = new Set([
  'status',
  'execution_start',
  'execution_cached',
  'executing',
  'progress',
  'progress_state',
  'executed',
  'execution_success',
  'execution_error',
  'execution_interrupted',
  'feature_flags',
]);

export function parseTextEvent(text: string): ComfyEvent {
  const msg = parseJsonLossless(text) as { type?: unknown; data?: unknown };
  const type = typeof msg?.type === 'string' ? msg.type : String(msg?.type);
  if (!knownTextTypes.has(type) || typeof msg.data !== 'object' || msg.data === null) {
    return { type: 'unknown', rawType: type, data: msg?.data };
  }
  return { type, data: msg.data } as ComfyEvent;
}

export const BinaryEventType = { PreviewImage: 1, Text: 3, PreviewImageWithMetadata: 4 } as const;

/** Binary frames: 4-byte big-endian event type, then a type-specific layout (API.md §5.5). */
export function parseBinaryEvent(frame: Buffer): ComfyEvent {
  if (frame.length < 4) return { type: 'unknown', rawType: 'binary', data: frame };
  const kind = frame.readUInt32BE(0);
  if (kind === BinaryEventType.PreviewImage && frame.length >= 8) {
    const format = frame.readUInt32BE(4);
    return { type: 'preview', format: format === 1 ? 'jpeg' : format === 2 ? 'png' : 'unknown', image: frame.subarray(8) };
  }
  if (kind === BinaryEventType.PreviewImageWithMetadata && frame.length >= 8) {
    const length = frame.readUInt32BE(4);
    if (frame.length < 8 + length) return { type: 'unknown', rawType: kind, data: frame };
    const metadata = JSON.parse(frame.subarray(8, 8 + length).toString('utf8')) as PreviewMetadata;
    const format = metadata.image_type === 'image/png' ? 'png' : metadata.image_type === 'image/jpeg' ? 'jpeg' : 'unknown';
    return { type: 'preview', format, image: frame.subarray(8 + length), metadata };
  }
  if (kind === BinaryEventType.Text && frame.length >= 8) {
    const length = frame.readUInt32BE(4);
    return {
      type: 'progress_text',
      nodeId: frame.subarray(8, 8 + length).toString('utf8'),
      text: frame.subarray(8 + length).toString('utf8'),
    };
  }
  return { type: 'unknown', rawType: kind, data: frame };
}

/** The prompt an event belongs to, when it says (the connect-time `executing` does not). */
export function promptIdOf(event: ComfyEvent): string | undefined {
  if (event.type === 'preview') return event.metadata?.prompt_id;
  if (event.type === 'progress_text' || event.type === 'unknown' || event.type === 'status' || event.type === 'feature_flags') return undefined;
  return event.data.prompt_id;
}
