import { AppError, ErrorCode } from '#shared/errors.ts';

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; details: unknown };
}

// Statuses Koa or @koa/router raise themselves (no AppError); ErrorCode has no names for some of them yet.
const codeByStatus: Record<number, string> = {
  400: ErrorCode.Validation,
  401: ErrorCode.Unauthorized,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: ErrorCode.Conflict,
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  431: 'headers_too_large',
  501: 'not_implemented',
};

const genericMessage = 'internal server error';

interface HttpLikeError {
  code?: unknown;
  details?: unknown;
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  message?: unknown;
}

/**
 * Maps anything thrown by a handler to a status and the public error body. Only errors that say
 * `expose` show their message (Koa's rule); everything else is a 500 with a generic message.
 */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody; unexpected: boolean } {
  if (err instanceof AppError) {
    const shown = err.expose;
    return {
      status: err.status,
      body: { error: { code: shown ? err.code : ErrorCode.Internal, message: shown ? err.message : genericMessage, details: shown ? (err.details ?? null) : null } },
      unexpected: err.status >= 500,
    };
  }
  const e = (err ?? {}) as HttpLikeError;
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  // 501 is the one 5xx a client causes: a method this API does not implement.
  if (((status >= 400 && status < 500) || status === 501) && e.expose === true && typeof e.message === 'string') {
    const code = typeof e.code === 'string' ? e.code : codeForStatus(status);
    return { status, body: { error: { code, message: e.message, details: e.details ?? null } }, unexpected: false };
  }
  return { status: 500, body: { error: { code: ErrorCode.Internal, message: genericMessage, details: null } }, unexpected: true };
}

export function notFoundBody(method: string, path: string): ErrorBody {
  return { error: { code: ErrorCode.NotFound, message: `no route for ${method} ${path}`, details: null } };
}

export function codeForStatus(status: number): string {
  return codeByStatus[status] ?? (status >= 500 ? ErrorCode.Internal : 'client_error');
}

/** A client error for HTTP-level problems that have no domain ErrorCode (413, 415, 501, …). */
export function httpError(status: number, message: string, details: unknown = null): Error {
  return Object.assign(new Error(message), { status, expose: true, code: codeForStatus(status), details });
}
