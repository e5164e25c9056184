import { z } from 'zod';

export const userIdParams = z.object({ userId: z.string().regex(/^\d{17,20}$/, { error: 'expected a Discord user id (17 to 20 digits)' }) });
