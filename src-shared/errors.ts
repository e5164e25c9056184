/** Machine-readable error codes shared by bot, scheduler and admin API. */
export const ErrorCode = {
  Validation: 'validation_failed',
  NotFound: 'not_found',
  Conflict: 'conflict',
  DuplicateModel: 'duplicate_model',
  InvalidTransition: 'invalid_status_transition',
  LimitExceeded: 'limit_exceeded',
  Unauthorized: 'unauthorized',
  Forbidden: 'forbidden',
  ComfyValidation: 'comfy_validation',
  ComfyUnavailable: 'comfy_unavailable',
  ComfyExecution: 'comfy_execution',
  OutOfMemory: 'out_of_memory',
  ModelMissing: 'model_missing',
  Timeout: 'timeout',
  Cancelled: 'cancelled',
  StorageUnavailable: 'storage_unavailable',
  CustomIdTampered: 'custom_id_tampered',
  CustomIdTooLong: 'custom_id_too_long',
  Gone: 'gone',
  LinkExpired: 'link_expired',
  LinkInvalid: 'link_invalid',
  PreconditionFailed: 'precondition_failed',
  RangeNotSatisfiable: 'range_not_satisfiable',
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const defaultStatus: Partial<Record<ErrorCode, number>> = {
  validation_failed: 400,
  not_found: 404,
  conflict: 409,
  duplicate_model: 409,
  invalid_status_transition: 409,
  limit_exceeded: 429,
  unauthorized: 401,
  forbidden: 403,
  gone: 410,
  link_expired: 403,
  link_invalid: 403,
  precondition_failed: 412,
  range_not_satisfiable: 416,
};

export interface AppErrorOptions {
  status?: number;
  details?: unknown;
  expose?: boolean;
  cause?: unknown;
}

/** One error shape everywhere: machine code, human message, context. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;
  /** True when `message` is safe to show to the user or API client. */
  readonly expose: boolean;

  constructor(code: ErrorCode, message: string, opts: AppErrorOptions = {}) {
    super(message, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = opts.status ?? defaultStatus[code] ?? 500;
    this.details = opts.details;
    this.expose = opts.expose ?? this.status < 500;
  }
}

export function coerceError(err: unknown): Error {
  if (err instanceof Error) return err;
  return new Error(typeof err === 'string' ? err : JSON.stringify(err));
}
