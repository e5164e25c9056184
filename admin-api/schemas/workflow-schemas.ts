import { z } from 'zod';
import { valueBindings } from '#shared/comfyui/workflow/index.ts';
import { snowflake } from './query-values.ts';
import { text } from './text.ts';

const maxNodes = 500;
const nodeId = text({ max: 64, min: 1 });
const inputName = text({ max: 200, min: 1 });
const literal = z.union([text({ max: 100_000 }), z.number(), z.boolean(), z.null()]);
/** `["4", 0]`: output 0 of node 4. */
const linkValue = z.tuple([nodeId, z.number().int().min(0).max(1000)]);
const inputValue = z.union([literal, linkValue, z.array(literal).max(10_000), z.strictObject({ __value__: z.array(literal).max(10_000) })]);

/** The JSON ComfyUI's "Export (API)" writes: node id → `{ class_type, inputs, _meta? }`. */
export const apiWorkflow = z
  .record(
    nodeId,
    z.object({
      class_type: text({ max: 200, min: 1 }),
      inputs: z.record(inputName, inputValue),
      _meta: z.object({ title: text({ max: 500 }).optional() }).optional(),
    }),
  )
  .refine((g) => Object.keys(g).length > 0, { error: 'expected at least one node' })
  .refine((g) => Object.keys(g).length <= maxNodes, { error: `expected at most ${maxNodes} nodes` });

const inputBinding = z.strictObject({ node: nodeId, input: inputName });
const outputBinding = z.strictObject({ node: nodeId, output: z.number().int().min(0).max(1000) });

const { prompt: _prompt, ...optionalValues } = valueBindings;

/** Which node input receives each value a generation sets; only `prompt` is required. */
export const templateBindings = z.strictObject({
  prompt: inputBinding,
  ...Object.fromEntries(Object.keys(optionalValues).map((k) => [k, inputBinding.optional()])) as Record<Exclude<keyof typeof valueBindings, 'prompt'>, z.ZodOptional<typeof inputBinding>>,
  loras: z.strictObject({ model: outputBinding, clip: outputBinding.optional() }).optional(),
});

export const templateName = text({ max: 64, min: 1, trim: true }).pipe(
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/, { error: 'expected letters, digits, space, _ . - (starting with a letter or digit)' }),
);

const allowedRoles = z.array(snowflake).max(100);

/** Creates the template, or a new version of the template with this name. */
export const createWorkflowBody = z.strictObject({
  name: templateName,
  description: text({ max: 200, trim: true }).optional(),
  allowedRoles: allowedRoles.optional(),
  workflow: apiWorkflow,
  bindings: templateBindings,
});

export const patchWorkflowBody = z
  .strictObject({ description: text({ max: 200, trim: true }), allowedRoles, enabled: z.boolean() })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, { error: 'expected at least one field to change' });

export const workflowIdParams = z.object({ id: z.string().regex(/^\d{1,9}$/, { error: 'expected a workflow id' }).transform(Number) });
