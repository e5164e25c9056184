import type { IncomingHttpHeaders } from 'node:http';
import type { ErrorTree } from '../errors.ts';
import type { IncomingFile } from '../uploads.ts';

export interface RouteContext {
  method: string;
  path: string;
  route: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  files: IncomingFile[];
  headers: IncomingHttpHeaders;
}

export interface RouteResult {
  status: number;
  body?: unknown;
}

export interface RouteDef {
  method: string;
  /** OpenAPI path template; also the key for body validation. */
  template: string;
  /** Bot routes need `Authorization: Bot <token>`; interaction and webhook routes carry the token in the path. */
  auth: 'bot' | 'none';
  /** Checks of limits the spec cannot express; runs after OpenAPI validation. */
  limits?: (ctx: RouteContext) => ErrorTree | null;
  handler: (ctx: RouteContext) => RouteResult | Promise<RouteResult>;
}

export type RouteMatch = { def: RouteDef; params: Record<string, string> } | { methodNotAllowed: true } | null;

/** Matches decoded path segments against templates; literal segments (`@original`) beat `{params}`. */
export class Router {
  readonly #routes: Array<RouteDef & { segments: string[] }> = [];

  add(def: RouteDef): void {
    this.#routes.push({ ...def, segments: def.template.split('/').slice(1) });
  }

  match(method: string, segments: string[]): RouteMatch {
    let best: { def: RouteDef; params: Record<string, string>; score: number } | null = null;
    let pathMatched = false;
    for (const r of this.#routes) {
      if (r.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let score = 0;
      const ok = r.segments.every((s, i) => {
        if (s.startsWith('{') && s.endsWith('}')) {
          params[s.slice(1, -1)] = segments[i]!;
          return true;
        }
        score += 1;
        return s === segments[i];
      });
      if (!ok) continue;
      pathMatched = true;
      if (r.method === method && (!best || score > best.score)) best = { def: r, params, score };
    }
    if (best) return { def: best.def, params: best.params };
    return pathMatched ? { methodNotAllowed: true } : null;
  }
}
