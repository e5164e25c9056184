import { z } from 'zod';
import { thumbnailNames } from '#shared/images/image-paths.ts';

// Exactly the spelling we sign: lowercase uuid, index without leading zeros. Anything else is refused
// here, before any lookup, so no other spelling of a URL reaches storage.
export const imageParams = z.object({
  generationId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { error: 'expected a generation id (a lowercase uuid)' }),
  index: z
    .string()
    .regex(/^(0|[1-9]\d{0,2})$/, { error: 'expected an output index from 0 to 999' })
    .transform(Number),
  name: z.enum(thumbnailNames, { error: `expected one of ${thumbnailNames.join(', ')}` }).optional(),
});

export type ImageParams = z.output<typeof imageParams>;
