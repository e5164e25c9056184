import { AppError, ErrorCode } from '#shared/errors.ts';

interface PgError {
  code?: string;
  constraint?: string;
  detail?: string;
}

const constraintMessages: Record<string, { code: ErrorCode; message: string }> = {
  model_kind_file_name_unique: { code: ErrorCode.DuplicateModel, message: 'a model of this kind with this file name already exists' },
  comfy_instance_name_unique: { code: ErrorCode.Conflict, message: 'an instance with this name already exists' },
  comfy_instance_base_url_unique: { code: ErrorCode.Conflict, message: 'an instance with this base URL already exists' },
  limit_policy_scope_unique: { code: ErrorCode.Conflict, message: 'a limit policy for this scope already exists' },
  generation_seed_range: { code: ErrorCode.Validation, message: 'seed must be between 0 and 18446744073709551615' },
  generation_size_positive: { code: ErrorCode.Validation, message: 'width and height must be positive and batch size 1–16' },
  workflow_template_version_unique: { code: ErrorCode.Conflict, message: 'another version of this workflow was uploaded at the same moment: upload again' },
  generation_pkey: { code: ErrorCode.Conflict, message: 'a generation with this id already exists' },
};

/**
 * What a client did wrong, by SQLSTATE, in words: messages never name constraints or columns.
 * The 22xxx codes are values Postgres cannot store (too long, bad characters, out of range).
 */
const codeMessages: Record<string, { code: ErrorCode; message: (entity: string) => string }> = {
  '23505': { code: ErrorCode.Conflict, message: (entity) => `${entity} conflicts with an existing one: a value that must be unique is taken` },
  '23503': { code: ErrorCode.Validation, message: (entity) => `${entity} refers to something that does not exist` },
  '23514': { code: ErrorCode.Validation, message: (entity) => `${entity} has a value that is not allowed` },
  '23502': { code: ErrorCode.Validation, message: (entity) => `${entity} is missing a required value` },
  '22001': { code: ErrorCode.Validation, message: (entity) => `${entity} has a text value longer than allowed` },
  '22P05': { code: ErrorCode.Validation, message: (entity) => `${entity} has text with characters that cannot be stored (NUL or invalid Unicode)` },
  '22021': { code: ErrorCode.Validation, message: (entity) => `${entity} has text with characters that cannot be stored (NUL or invalid Unicode)` },
  // What Postgres answers when a query parameter holds a NUL character ("invalid message format").
  '08P01': { code: ErrorCode.Validation, message: (entity) => `${entity} has text with characters that cannot be stored (NUL or invalid Unicode)` },
  '22003': { code: ErrorCode.Validation, message: (entity) => `${entity} has a number out of range` },
  '22008': { code: ErrorCode.Validation, message: (entity) => `${entity} has a date or time out of range` },
  '22007': { code: ErrorCode.Validation, message: (entity) => `${entity} has a badly formed date or time` },
  '22P02': { code: ErrorCode.Validation, message: (entity) => `${entity} has a value in the wrong format` },
};

/** Turns Postgres errors a client can cause (also when wrapped by MikroORM) into domain errors; others pass through. */
export function mapDbError(err: unknown, entity: string): unknown {
  const pgErr = findPgError(err);
  if (!pgErr?.code) return err;
  const known = (pgErr.constraint ? constraintMessages[pgErr.constraint] : undefined) ?? codeMessages[pgErr.code];
  if (!known) return err;
  const message = typeof known.message === 'string' ? known.message : known.message(entity);
  return new AppError(known.code, message, { details: { entity }, cause: err });
}

function findPgError(err: unknown): PgError | undefined {
  for (let e = err as (PgError & { cause?: unknown }) | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e;
  }
  return undefined;
}
