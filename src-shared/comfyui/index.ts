/**
 * Genonaut's ComfyUI layer.
 *
 *   const comfy = new ComfyClient({ baseUrl, clientId, logger });
 *   const graph = buildWorkflow('txt2img', params);
 *   assertWorkflowValid(graph, await comfy.objectInfo());
 *   await comfy.submit(graph, { promptId });            // ComfyValidationError on 400
 *   const outcome = await comfy.followPrompt(promptId, { onProgress, signal, timeoutMs });
 *   // outcome.status: 'success' (images) | 'error' (OOM / ModelMissing / ComfyExecution)
 *   //                 | 'interrupted' | 'unknown' (lost by ComfyUI: resubmit under a new id)
 *   await comfy.download(outcome.images[0], path);
 */
export { ComfyClient, type ComfyClientOptions, type SubmitOptions } from './client.ts';
export type {
  CancelResult,
  ComfyErrorBody,
  ExecutionErrorData,
  ExecutionInterruptedData,
  HistoryEntry,
  HistoryMessage,
  ImageRef,
  NodeErrorEntry,
  NodeErrors,
  NodeOutput,
  QueueItem,
  QueuePosition,
  QueueSnapshot,
  SubmitResult,
  SystemStats,
} from './api-types.ts';
export { backoffDelay, defaultBackoff, type BackoffPolicy } from './backoff.ts';
export { classifyExecutionError } from './classify-error.ts';
export { ComfyEventStream, type ConnectInfo, type EventStreamOptions } from './event-stream.ts';
export { BinaryEventType, parseBinaryEvent, parseTextEvent, promptIdOf, type ComfyEvent, type PreviewMetadata, type ProgressNodeState } from './events.ts';
export { followPrompt, type FollowOptions, type FollowProgress, type PromptStateSource } from './follow-prompt.ts';
export { recordPromptEvents, type PromptEventsRecording } from './prompt-events-recording.ts';
export { parseJsonLossless, stringifyJsonLossless } from './json.ts';
export { comboValues, type InputOptions, type InputSpec, type InputType, type NodeInfo, type ObjectInfo } from './object-info.ts';
export { imagesOf, outcomeFromHistory, type PromptOutcome } from './prompt-outcome.ts';
export { positionIn } from './queue-position.ts';
export { serverKindOf, type PromptLookup, type ServerKind } from './server-kind.ts';
export { assertWorkflowValid, ComfyValidationError, describeRejection, type ComfyValidationDetails } from './validation-error.ts';
export * from './workflow/index.ts';
