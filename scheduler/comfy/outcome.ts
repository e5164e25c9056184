import type { ExecutionErrorData, HistoryEntry, ImageRef, NodeOutput } from '#shared/comfyui/api-types.ts';
import { ErrorCode } from '#shared/errors.ts';

export interface UserFacingError {
  code: string;
  message: string;
}

/** Saved images of a finished prompt, in node then batch order (previews and temp files skipped). */
export function outputImages(outputs: Record<string, NodeOutput>): ImageRef[] {
  return Object.keys(outputs)
    .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b))
    .flatMap((node) => (outputs[node]?.images ?? []).filter((img) => (img.type ?? 'output') === 'output'));
}

export function historyError(entry: HistoryEntry): ExecutionErrorData | undefined {
  const msg = entry.status.messages.find(([type]) => type === 'execution_error');
  return msg?.[1] as ExecutionErrorData | undefined;
}

export function historyInterrupted(entry: HistoryEntry): boolean {
  return entry.status.messages.some(([type]) => type === 'execution_interrupted');
}

/** Turns a ComfyUI execution error into a short message saying what to change. */
export function describeExecutionError(e: Pick<ExecutionErrorData, 'exception_type' | 'exception_message' | 'node_type'>): UserFacingError {
  const text = `${e.exception_type} ${e.exception_message}`;
  if (/OutOfMemory|out of memory/i.test(text)) {
    return { code: ErrorCode.OutOfMemory, message: 'The GPU ran out of memory. Try a smaller size, a smaller batch or fewer LoRAs.' };
  }
  if (/FileNotFound|No such file|not found/i.test(text) && /Loader|Checkpoint|Lora|VAE/i.test(e.node_type ?? '')) {
    return { code: ErrorCode.ModelMissing, message: 'A model file is missing on the image server. Pick another model or ask an operator to refresh the models.' };
  }
  return { code: ErrorCode.ComfyExecution, message: `The image server failed in ${e.node_type}: ${e.exception_message.slice(0, 300)}` };
}
