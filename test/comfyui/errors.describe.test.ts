import { describe, expect, it } from 'vitest';
import { AppError, ErrorCode } from '#shared/errors.ts';
import { backoffDelay, classifyExecutionError, ComfyValidationError, type ExecutionErrorData } from '#shared/comfyui/index.ts';

describe('ComfyValidationError', () => {
  it('names node, input and the change for the §4.3 example', () => {
    const err = new ComfyValidationError(
      {
        error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} },
        node_errors: {
          '3': {
            errors: [
              { type: 'required_input_missing', message: 'Required input is missing', details: 'steps', extra_info: { input_name: 'steps' } },
              {
                type: 'value_bigger_than_max',
                message: 'Value 150.0 bigger than max of 100.0',
                details: 'cfg',
                extra_info: { input_name: 'cfg', input_config: ['FLOAT', { default: 8.0, min: 0.0, max: 100.0 }], received_value: 150.0 },
              },
            ],
            dependent_outputs: ['9'],
            class_type: 'KSampler',
          },
        },
      },
      'pid-1',
    );
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe(ErrorCode.ComfyValidation);
    expect(err.problems).toEqual([
      "KSampler (node 3) input 'steps': required input is missing — supply a value or a link",
      "KSampler (node 3) input 'cfg': value 150 is above the maximum 100 — lower it",
    ]);
    expect(err.message).toContain("KSampler (node 3) input 'cfg': value 150 is above the maximum 100 — lower it");
    expect(err.details.node_errors['3']!.class_type).toBe('KSampler');
    expect(err.details.promptId).toBe('pid-1');
  });

  it('lists the installed choices for a missing model, and explains top-level errors', () => {
    const missing = new ComfyValidationError({
      node_errors: {
        '4': {
          errors: [
            {
              type: 'value_not_in_list',
              message: 'Value not in list',
              details: "ckpt_name: 'missing.safetensors' not in ['a.safetensors']",
              extra_info: { input_name: 'ckpt_name', input_config: [['a.safetensors', 'b.safetensors'], {}], received_value: 'missing.safetensors' },
            },
          ],
          dependent_outputs: ['9'],
          class_type: 'CheckpointLoaderSimple',
        },
      },
    });
    expect(missing.message).toMatch(/CheckpointLoaderSimple \(node 4\) input 'ckpt_name': value 'missing.safetensors' is not available on this instance \(choices: 'a.safetensors', 'b.safetensors'\)/);
    const noOutputs = new ComfyValidationError({ error: { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} }, node_errors: {} });
    expect(noOutputs.message).toBe('ComfyUI rejected the prompt: Prompt has no outputs — add an output node such as SaveImage');
  });
});

function execError(over: Partial<ExecutionErrorData>): ExecutionErrorData {
  return { prompt_id: 'p', node_id: '3', node_type: 'KSampler', executed: [], exception_message: 'boom\n', exception_type: 'RuntimeError', traceback: [], current_inputs: {}, current_outputs: [], ...over };
}

describe('classifyExecutionError', () => {
  it('classifies OOM, missing models and the rest', () => {
    const oom = classifyExecutionError(execError({ exception_type: 'torch.OutOfMemoryError', exception_message: 'Allocation on device \nThis error means you ran out of memory on your GPU.' }));
    expect(oom.code).toBe(ErrorCode.OutOfMemory);
    expect(oom.message).toMatch(/out of GPU memory in KSampler \(node 3\)/);
    const model = classifyExecutionError(
      execError({ node_id: '4', node_type: 'CheckpointLoaderSimple', exception_type: 'FileNotFoundError', exception_message: "Model in folder 'checkpoints' with filename 'x.safetensors' not found.\n" }),
    );
    expect(model.code).toBe(ErrorCode.ModelMissing);
    expect(model.message).toContain("model 'x.safetensors' (folder checkpoints) is missing");
    const other = classifyExecutionError(execError({}));
    expect(other.code).toBe(ErrorCode.ComfyExecution);
    expect(other.message).toBe('ComfyUI failed in KSampler (node 3): RuntimeError: boom');
  });
});

describe('backoffDelay', () => {
  it('grows exponentially with jitter between half and full, capped', () => {
    const policy = { baseMs: 100, maxMs: 1000 };
    expect(backoffDelay(0, policy, () => 0)).toBe(50);
    expect(backoffDelay(0, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(600);
    expect(backoffDelay(10, policy, () => 1)).toBe(1000);
  });
});
