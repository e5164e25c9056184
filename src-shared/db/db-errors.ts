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
  generation_pkey: { code: ErrorCode.Conflict, message: 'a generation with this id already exists' },
};

/** Turns Postgres constraint violations (also when wrapped by MikroORM) into domain errors. */
export function mapDbError(err: unknown, entity: string): unknown {
  const pgErr = findPgError(err);
  if (!pgErr?.code) return err;
  const known = pgErr.constraint ? constraintMessages[pgErr.constraint] : undefined;
  if (known) return new AppError(known.code, known.message, { details: { entity, constraint: pgErr.constraint }, cause: err });
  if (pgErr.code === '23505') return new AppError(ErrorCode.Conflict, `${entity} already exists`, { details: { entity, constraint: pgErr.constraint }, cause: err });
  if (pgErr.code === '23503') return new AppError(ErrorCode.Validation, `${entity} refers to something that does not exist`, { details: { entity, constraint: pgErr.constraint }, cause: err });
  if (pgErr.code === '23514' || pgErr.code === '23502' || pgErr.code === '22P02' || pgErr.code === '22003') {
    return new AppError(ErrorCode.Validation, `invalid ${entity}: ${pgErr.constraint ?? pgErr.detail ?? 'value out of range'}`, {
      details: { entity, constraint: pgErr.constraint },
      cause: err,
    });
  }
  return err;
}

function findPgError(err: unknown): PgError | undefined {
  for (let e = err as (PgError & { cause?: unknown }) | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e;
  }
  return undefined;
}
