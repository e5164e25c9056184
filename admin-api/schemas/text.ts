import { z } from 'zod';

export interface TextOptions {
  /** The column's length; Postgres counts characters, so a limit in UTF-16 units is never looser. */
  max: number;
  min?: number;
  trim?: boolean;
}

/**
 * A string Postgres can store: no NUL (text, varchar and jsonb all refuse it), no lone surrogate
 * (not valid Unicode, so not valid UTF-8), and no longer than its column. Every string field and
 * query parameter of the API goes through this.
 */
export function text({ max, min = 0, trim = false }: TextOptions) {
  const base = trim ? z.string().trim() : z.string();
  return base
    .min(min, { error: min === 1 ? 'must not be empty' : `must be at least ${min} characters` })
    .max(max, { error: `must be at most ${max} characters` })
    .refine((s) => !s.includes('\0'), { error: 'must not contain NUL characters' })
    .refine((s) => s.isWellFormed(), { error: 'must be valid Unicode (no unpaired surrogates)' });
}
