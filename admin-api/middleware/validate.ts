import type { Middleware } from 'koa';
import type { z } from 'zod';
import { AppError, ErrorCode } from '#shared/errors.ts';

export type InputSource = 'body' | 'query' | 'params';

/** Parsed, typed input lives in `ctx.state[source]`; Koa's `ctx.query` setter would turn it back into a string. */
export type Validated<Src extends InputSource, S extends z.ZodType> = { [K in Src]: z.output<S> };

/** One entry per offending field (`tags.2`, `limit`, …), each with its messages. */
export function issuesByField(source: InputSource, issues: readonly z.core.$ZodIssue[]): Record<string, string[]> {
  const details: Record<string, string[]> = {};
  for (const issue of issues) {
    const field = issue.path.length ? issue.path.map(String).join('.') : source;
    (details[field] ??= []).push(issue.message);
  }
  return details;
}

/**
 * Validates one part of the request with a zod schema. On success the parsed value replaces the
 * raw one (`ctx.request.body` for bodies) and is put in `ctx.state[source]`; on failure it throws
 * a 400 `validation_failed` whose details name each field.
 */
export function validate<Src extends InputSource, S extends z.ZodType>(source: Src, schema: S): Middleware<Validated<Src, S>> {
  return async (ctx, next) => {
    const raw = source === 'body' ? (ctx.request as { body?: unknown }).body : source === 'query' ? ctx.query : (ctx as { params?: unknown }).params;
    const result = await schema.safeParseAsync(raw ?? (source === 'body' ? undefined : {}));
    if (!result.success) {
      throw new AppError(ErrorCode.Validation, `invalid request ${source}`, { details: issuesByField(source, result.error.issues) });
    }
    if (source === 'body') (ctx.request as { body?: unknown }).body = result.data;
    (ctx.state as Record<string, unknown>)[source] = result.data;
    await next();
  };
}
