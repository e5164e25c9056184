// The only way this page talks to the server: the admin JSON API with the operator's token.

const storageKey = 'genonaut.adminToken';

export const token = {
  get: () => sessionStorage.getItem(storageKey),
  set: (value) => sessionStorage.setItem(storageKey, value),
  clear: () => sessionStorage.removeItem(storageKey),
};

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    /** Already told to the operator (the stored token was refused), so callers stay quiet. */
    this.reported = false;
  }
}

let unauthorized = () => {};

/** Called when the server refuses the stored token (401), so the page can ask for it again. */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

function authHeaders(tokenValue = token.get()) {
  return { authorization: `Bearer ${tokenValue ?? ''}` };
}

async function failure(res) {
  const body = await res.json().catch(() => null);
  const error = body?.error;
  return new ApiError(res.status, error?.code ?? 'http_error', error?.message ?? `the server answered ${res.status}`, error?.details);
}

/** `api('/api/v1/models', { query: { kind: 'lora' } })`; empty query values are left out. JSON in, JSON out. */
export async function api(path, { method = 'GET', query, body, tokenValue } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  const headers = authHeaders(tokenValue);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) {
    const err = await failure(res);
    if (res.status === 401 && tokenValue === undefined) {
      unauthorized(err);
      err.reported = true;
    }
    throw err;
  }
  return res.status === 204 ? null : res.json();
}

/**
 * An image route fetched with the token (an <img> cannot send it) and handed back as a blob: URL;
 * the caller revokes it when the image leaves the page.
 */
export async function imageUrl(path) {
  const res = await fetch(path, { headers: authHeaders() });
  if (!res.ok) throw await failure(res);
  return URL.createObjectURL(await res.blob());
}

/** A sentence for an error: the server's message, plus which fields a validation error named. */
export function describeError(err) {
  if (!(err instanceof ApiError)) return `Could not reach the admin API: ${err.message}`;
  let text = err.message;
  if (err.code === 'validation_failed' && err.details && typeof err.details === 'object') {
    const fields = Object.entries(err.details).map(([field, problem]) => `${field}: ${Array.isArray(problem) ? problem.join(', ') : typeof problem === 'string' ? problem : JSON.stringify(problem)}`);
    if (fields.length) text += ` (${fields.join('; ')})`;
  }
  return text;
}
