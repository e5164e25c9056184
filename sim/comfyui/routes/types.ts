import type { ServerResponse } from 'node:http';
import type { Req } from '../http.ts';
import type { ComfyState } from '../state.ts';

export type Handler = (req: Req, res: ServerResponse, state: ComfyState, params: string[]) => Promise<void> | void;

export interface Route {
  method: 'GET' | 'POST';
  /** Exact path, or a pattern whose groups become `params` (URL-decoded). */
  path: string | RegExp;
  handler: Handler;
}
