import { AppError, ErrorCode } from '../errors.ts';
import type { ExecutionErrorData } from './api-types.ts';
import { nodeLabel } from './problem-text.ts';

const oomType = /OutOfMemoryError/;
const oomText = /out of memory|\bOOM\b|Allocation on device/i;
// folder_paths.get_full_path_or_raise
const missingModel = /Model in folder '([^']+)' with filename '([^']+)' not found/;

/** Maps an `execution_error` payload to OutOfMemory, ModelMissing or ComfyExecution. */
export function classifyExecutionError(data: ExecutionErrorData): AppError {
  const where = nodeLabel(String(data.node_id), data.node_type);
  const message = (data.exception_message ?? '').trim();
  const firstLine = message.split('\n')[0] ?? '';
  const details = { promptId: data.prompt_id, nodeId: data.node_id, nodeType: data.node_type, exceptionType: data.exception_type, exceptionMessage: data.exception_message };

  if (oomType.test(data.exception_type ?? '') || oomText.test(message)) {
    return new AppError(ErrorCode.OutOfMemory, `ComfyUI ran out of GPU memory in ${where} — lower the resolution, batch size or LoRA count, or retry later`, {
      details,
      expose: true,
    });
  }
  const missing = missingModel.exec(message);
  if (missing || (data.exception_type ?? '').endsWith('FileNotFoundError')) {
    const what = missing ? `model '${missing[2]}' (folder ${missing[1]})` : 'a model file';
    return new AppError(ErrorCode.ModelMissing, `${what} is missing on the ComfyUI instance (${where}) — choose an installed model or reinstall it`, {
      details: { ...details, folder: missing?.[1], filename: missing?.[2] },
      expose: true,
    });
  }
  return new AppError(ErrorCode.ComfyExecution, `ComfyUI failed in ${where}: ${data.exception_type}: ${firstLine}`, { details });
}
