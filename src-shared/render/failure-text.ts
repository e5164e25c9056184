import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';

/** The /imagine option a ComfyUI node input comes from, for telling a member what to change. */
const optionOfInput: Record<string, string> = {
  steps: 'steps', cfg: 'cfg', sampler_name: 'sampler', scheduler: 'scheduler', seed: 'seed', noise_seed: 'seed',
  width: 'size', height: 'size', batch_size: 'batch', ckpt_name: 'model', lora_name: 'lora', strength_model: 'lora_strength',
  strength_clip: 'lora_strength', text: 'prompt', denoise: 'denoise',
};

const validationProblem = /input '([^']+)': value (.+?) (is above the maximum \S+|is below the minimum \S+|is not available on this instance)/;
const missingModelName = /model '([^']+)'/;

function missingModelText(name: string): string {
  return `The model ${name} is not installed on the image server. Pick another model (see the \`model\` list), or ask an operator to install it.`;
}

/** "`steps` = 200: it is above the maximum 150", from the validator's own phrasing (problem-text.ts). */
function validationText(errorMessage: string): string {
  const [first = ''] = errorMessage.split('\n');
  const match = validationProblem.exec(first);
  const option = match ? optionOfInput[match[1]!] : undefined;
  if (!match || !option) return 'The image server did not accept these settings. Leave out the unusual options (size, steps, cfg, sampler) to use the defaults, and try again.';
  const notThere = match[3] === 'is not available on this instance';
  if (notThere && (option === 'model' || option === 'lora')) return missingModelText(match[2]!.replace(/^'(.*)'$/, '$1'));
  const problem = notThere ? 'is not available there' : match[3]!;
  return `The image server did not accept \`${option}\` = ${match[2]!}: it ${problem}. Change \`${option}\` and try again.`;
}

/**
 * What a member reads when their request failed: what happened in plain words and what to change.
 * The technical detail (node, exception, instance) stays in the row's error message and the log. Pure.
 */
export function failureText(g: Pick<GenerationRow, 'errorCode' | 'errorMessage' | 'checkpoint'>): string {
  const message = g.errorMessage ?? '';
  switch (g.errorCode) {
    case 'out_of_memory':
      return 'The image server ran out of GPU memory. Try a smaller size, a smaller batch or fewer LoRAs.';
    case 'model_missing': {
      if (message.startsWith('No image server has ')) return message;
      return missingModelText(missingModelName.exec(message)?.[1] ?? g.checkpoint);
    }
    case 'timeout':
      return 'This took too long and was stopped. Try fewer steps, a smaller size or a smaller batch.';
    case 'comfy_validation':
      return validationText(message);
    case 'comfy_execution':
      return 'The image server failed while making this image. Try again; if it keeps failing, try another model or fewer LoRAs.';
    case 'retries_exhausted':
    case 'comfy_unavailable':
      return 'No image server could take this request: they are down or unreachable right now. Try again in a few minutes.';
    case 'storage_unavailable':
      return 'The image was made, but our image storage could not save it in time. Please try again in a few minutes; an operator has been alerted.';
    case 'lost':
      return 'This request was lost by the scheduler. Please try again.';
    case 'cancelled':
      return 'The image server stopped this request. Please try again.';
    case 'validation_failed':
      return 'This request uses a workflow this bot no longer offers. Run /imagine again.';
    default:
      return 'Something went wrong on our side. Please try again in a minute.';
  }
}
