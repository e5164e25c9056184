import type { AppError } from '../errors.ts';
import type { ExecutionErrorData, ExecutionInterruptedData, HistoryEntry, ImageRef, NodeOutput } from './api-types.ts';
import { classifyExecutionError } from './classify-error.ts';

export type PromptOutcome =
  | { status: 'success'; promptId: string; outputs: Record<string, NodeOutput>; images: ImageRef[] }
  /** `error.code` is OutOfMemory, ModelMissing or ComfyExecution. */
  | { status: 'error'; promptId: string; error: AppError; execution: ExecutionErrorData | undefined }
  | { status: 'interrupted'; promptId: string; execution: ExecutionInterruptedData | undefined }
  /** Neither queued, running nor in history (e.g. lost in a restart): resubmit. */
  | { status: 'unknown'; promptId: string; reason: string };

export function imagesOf(outputs: Record<string, NodeOutput>): ImageRef[] {
  return Object.values(outputs).flatMap((o) => (Array.isArray(o?.images) ? o.images : []));
}

export function successOutcome(promptId: string, outputs: Record<string, NodeOutput>): PromptOutcome {
  return { status: 'success', promptId, outputs, images: imagesOf(outputs) };
}

export function errorOutcome(promptId: string, data: ExecutionErrorData): PromptOutcome {
  return { status: 'error', promptId, error: classifyExecutionError(data), execution: data };
}

/** Outcome recorded in `/history/{id}` (API.md §3.6). */
export function outcomeFromHistory(promptId: string, entry: HistoryEntry, seenOutputs: Record<string, NodeOutput> = {}): PromptOutcome {
  const messages = entry.status?.messages ?? [];
  const find = (name: string) => messages.find(([type]) => type === name)?.[1];
  if (entry.status?.status_str === 'success') return successOutcome(promptId, { ...seenOutputs, ...(entry.outputs ?? {}) });
  const interrupted = find('execution_interrupted');
  if (interrupted) return { status: 'interrupted', promptId, execution: interrupted as unknown as ExecutionInterruptedData };
  const error = find('execution_error');
  return errorOutcome(
    promptId,
    (error as unknown as ExecutionErrorData | undefined) ?? {
      prompt_id: promptId,
      node_id: '',
      node_type: 'unknown',
      executed: [],
      exception_message: 'history reports an error without details',
      exception_type: 'unknown',
      traceback: [],
      current_inputs: {},
      current_outputs: [],
    },
  );
}
