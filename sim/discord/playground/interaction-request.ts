import { z } from 'zod';

const snowflake = z.string().regex(/^\d{1,20}$/, 'expected a snowflake');
interface TypedOption {
  name: string;
  value?: string | number | boolean;
  options?: TypedOption[];
}
/** An option as typed; a subcommand or group carries its options inside (`/cmd group sub option:value`). */
const option: z.ZodType<TypedOption> = z.object({
  name: z.string().min(1).max(32),
  value: z.union([z.string().max(6000), z.number(), z.boolean()]).optional(),
  get options() {
    return z.array(option).max(25).optional();
  },
});
const asMember = { member: snowflake };
/** A picture of up to 8 MiB, as base64. */
export const maxUploadBytes = 8 * 1024 * 1024;
const maxUploadBase64 = Math.ceil(maxUploadBytes / 3) * 4;

/** What the page may ask the stand-in to send, as one of its members. */
export const interactionRequest = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('command'), ...asMember, name: z.string().min(1).max(32), options: z.array(option).max(25).default([]) }),
  z.object({
    kind: z.literal('autocomplete'), ...asMember, name: z.string().min(1).max(32), options: z.array(option).max(25).default([]),
    focused: z.string().min(1).max(32),
  }),
  z.object({ kind: z.literal('component'), ...asMember, messageId: snowflake, customId: z.string().min(1).max(100), values: z.array(z.string().max(100)).max(25).optional() }),
  z.object({
    kind: z.literal('modal'), ...asMember, customId: z.string().min(1).max(100), messageId: snowflake.optional(),
    fields: z.record(z.string().max(100), z.string().max(4000)),
    /** A file upload (19) field's chosen file, sent as base64; stored as an attachment whose id becomes the field's value. */
    files: z.record(z.string().max(100), z.object({
      filename: z.string().min(1).max(200), contentType: z.string().max(100).optional(), base64: z.base64().max(maxUploadBase64),
    })).optional(),
  }),
]);

export type InteractionRequest = z.infer<typeof interactionRequest>;
