import type { IncomingMessage, ServerResponse } from 'node:http';
import { DiscordErrors, DiscordHttpError } from '../errors.ts';
import type { FaultInjector, MessageEditLimiter } from '../faults.ts';
import { parseBody } from '../multipart.ts';
import { uploadGuild } from '../uploads.ts';
import type { SimState } from '../state.ts';
import type { RecordedFile, RecordedRequest } from '../types.ts';
import type { OpenApiValidator } from '../validation/openapi.ts';
import type { RequestLog } from './recorder.ts';
import { faultResponse, rateLimitHeaders, sendJson } from './respond.ts';
import type { RouteContext, Router } from './router.ts';

export const API_PREFIX = '/api/v10';

export interface RestDeps {
  router: Router;
  state: SimState;
  validator: OpenApiValidator;
  faults: FaultInjector;
  /** Opt-in per-message edit limit (DiscordSimOptions.messageEditLimit). */
  editLimit?: MessageEditLimiter;
  log: RequestLog;
  token: string;
  maxRequestBytes: number;
  maxFileBytes: number;
}

async function readCapped(req: IncomingMessage, cap: number): Promise<{ raw: Buffer; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Drain everything even past the cap so the client reads our 413 instead of a reset socket.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size <= cap) chunks.push(chunk);
  }
  return { raw: Buffer.concat(chunks), tooLarge: size > cap };
}

function decodeSegments(pathname: string): string[] {
  return pathname.split('/').slice(1).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
}

/** Runs one `/api/v10` request: route, auth, injected faults, size caps, body parsing, spec + limit checks, handler. */
export async function handleApiRequest(deps: RestDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const segments = decodeSegments(url.pathname.slice(API_PREFIX.length));
  const path = `/${segments.join('/')}`;
  const at = deps.state.clock.now();
  const { raw, tooLarge } = await readCapped(req, deps.maxRequestBytes);
  const record: RecordedRequest = {
    method, path, route: path, query: Object.fromEntries(url.searchParams), status: 0, body: undefined, files: [],
    authorization: req.headers.authorization ?? null, response: undefined, at,
  };
  let headers: Record<string, string> = {};
  let status = 500;
  let body: unknown;
  try {
    const match = deps.router.match(method, segments);
    if (!match) throw DiscordErrors.notFound();
    if ('methodNotAllowed' in match) throw DiscordErrors.methodNotAllowed();
    const { def, params } = match;
    record.route = def.template;
    headers = rateLimitHeaders(def.template, at);
    if (def.auth === 'bot' && req.headers.authorization !== `Bot ${deps.token}`) throw DiscordErrors.unauthorized();
    const overLimit = deps.editLimit?.take(method, def.template, path, at);
    const fault = overLimit ? ({ kind: 'rateLimit', retryAfterSeconds: overLimit, global: false } as const) : deps.faults.take(method, def.template, path);
    if (fault) {
      const injected = faultResponse(fault, def.template, at);
      ({ status, body, headers } = injected);
      return;
    }
    if (tooLarge) throw DiscordErrors.tooLarge();
    const parsed = await parseBody(req.headers['content-type'] ?? '', raw, deps.maxFileBytes);
    record.body = parsed.json;
    record.files = parsed.files.map((f): RecordedFile => ({ field: f.field, filename: f.filename, contentType: f.contentType, size: f.bytes.byteLength }));
    const guildCap = parsed.files.length ? uploadGuild(deps.state, params)?.uploadLimitBytes : undefined;
    if (guildCap !== undefined && parsed.files.some((f) => f.bytes.byteLength > guildCap)) throw DiscordErrors.tooLarge();
    const ctx: RouteContext = { method, path, route: def.template, params, query: url.searchParams, body: parsed.json, files: parsed.files, headers: req.headers };
    if (parsed.json !== undefined) deps.validator.validate(def.template, method, parsed.json)?.throwIfAny();
    def.limits?.(ctx)?.throwIfAny();
    const result = await def.handler(ctx);
    status = result.status;
    body = result.body;
  } catch (err) {
    const error = err instanceof DiscordHttpError ? err : new DiscordHttpError(500, 0, `500: Internal Server Error (${String(err)})`);
    status = error.status;
    body = error.toBody();
    const v = { method, path, route: record.route, status, code: error.code, message: error.message, errors: error.errors, at };
    record.status = status;
    record.response = body;
    deps.log.record(record, v);
    sendJson(res, status, body, headers);
    return;
  } finally {
    if (record.status === 0) {
      record.status = status;
      record.response = body;
      deps.log.record(record);
      sendJson(res, status, body, headers);
    }
  }
}
