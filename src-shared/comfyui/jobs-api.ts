/** Newer ComfyUI's jobs routes (API.md §9): one view of a prompt, and an atomic cancel. */
import { AppError, ErrorCode } from '../errors.ts';
import type { HttpTransport } from './http-transport.ts';
import { parseJsonLossless } from './json.ts';
import type { Job } from './server-kind.ts';
import { truncate } from '#shared/render/limits.ts';

/** The server has no such route (an older server, or one that dropped it). */
export const missingRoute = 'missing-route';

export class JobsApi {
  readonly #http: HttpTransport;

  constructor(http: HttpTransport) {
    this.#http = http;
  }

  /** `GET /api/jobs/{id}`: the job, or undefined when the server does not know it. */
  async get(promptId: string, signal?: AbortSignal): Promise<Job | undefined | typeof missingRoute> {
    const path = `/api/jobs/${encodeURIComponent(promptId)}`;
    const res = await this.#http.request(path, { signal, context: { promptId } });
    const text = await res.text();
    if (res.ok) return parseJsonLossless(text) as Job;
    if (isMissingRoute(res.status, text)) return missingRoute;
    if (res.status === 404) return undefined; // {"error": "Job not found"}
    throw failed(`GET ${path}`, res.status, text);
  }

  /** `POST /api/jobs/{id}/cancel`: interrupts it if running, dequeues it if pending; false when it is neither. */
  async cancel(promptId: string, signal?: AbortSignal): Promise<boolean | typeof missingRoute> {
    const path = `/api/jobs/${encodeURIComponent(promptId)}/cancel`;
    const res = await this.#http.request(path, { method: 'POST', body: '{}', signal, context: { promptId } });
    const text = await res.text();
    if (res.ok) return (parseJsonLossless(text) as { cancelled?: unknown } | null)?.cancelled === true;
    if (isMissingRoute(res.status, text)) return missingRoute;
    throw failed(`POST ${path}`, res.status, text);
  }
}

/** aiohttp's plain-text 404/405 for a route the server does not have (a missing job is JSON). */
function isMissingRoute(status: number, text: string): boolean {
  return (status === 404 || status === 405) && !text.trimStart().startsWith('{');
}

function failed(what: string, status: number, text: string): AppError {
  return new AppError(ErrorCode.ComfyExecution, `ComfyUI answered ${what} with HTTP ${status}${text ? `: ${truncate(text, 200)}` : ''}`, { details: { status } });
}
