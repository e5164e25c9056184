import { z } from 'zod';
import { text } from './text.ts';

const compiles = (pattern: string) => {
  try {
    new RegExp(pattern, 'i');
    return true;
  } catch {
    return false;
  }
};

const rule = z.strictObject({
  pattern: text({ max: 200, min: 1 })
    .refine(compiles, { error: 'must be a valid regular expression (JavaScript syntax)' })
    .describe('a regular expression matched case-insensitively against the file name, e.g. `^illustrious`'),
  family: text({ max: 32, min: 1, trim: true })
    .regex(/^[a-z0-9][a-z0-9._-]*$/, { error: 'must be lower-case letters, digits, dot, dash or underscore, e.g. sdxl' })
    .describe('the base family a matching file gets, e.g. sdxl'),
});

/** The whole ordered list: the first rule whose pattern matches a file name decides. */
export const putFamilyRulesBody = z.strictObject({
  rules: z.array(rule).max(200, { error: 'at most 200 rules' }),
});
