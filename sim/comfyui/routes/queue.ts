/** `/queue`, `/interrupt`, `/free`, `/history` (server.py, execution.py PromptQueue). */
import { sendEmpty, sendJson } from '../http.ts';
import { isDict, loads, type PyValue } from '../pyjson.ts';
import { pyBool, pyInt } from '../pyops.ts';
import type { Route } from './types.ts';

const idsOf = (v: PyValue | undefined): PyValue[] => (Array.isArray(v) ? v : []);

export const queueRoutes: Route[] = [
  {
    method: 'GET', path: '/queue',
    handler: (_req, res, state) => sendJson(res, { queue_running: state.runningTuples(), queue_pending: state.pendingTuples() }),
  },
  {
    method: 'POST', path: '/queue',
    handler: async (req, res, state) => {
      const body = await req.json();
      if (isDict(body)) {
        if (body.has('clear') && pyBool(body.get('clear')!)) state.wipe();
        for (const id of idsOf(body.get('delete'))) if (typeof id === 'string') state.deletePending(id);
      }
      sendEmpty(res);
    },
  },
  {
    method: 'POST', path: '/interrupt',
    handler: async (req, res, state) => {
      let body: PyValue;
      try {
        body = loads((await req.body()).toString('utf8'));
      } catch {
        body = new Map();
      }
      const promptId = isDict(body) ? body.get('prompt_id') : undefined;
      if (promptId !== undefined && pyBool(promptId)) state.interrupt(typeof promptId === 'string' ? promptId : '\u0000not-a-prompt-id');
      else state.interrupt();
      sendEmpty(res);
    },
  },
  {
    method: 'POST', path: '/free',
    handler: async (req, res, state) => {
      const body = await req.json();
      if (isDict(body)) state.requestFree(pyBool(body.get('free_memory') ?? false));
      sendEmpty(res);
    },
  },
  {
    method: 'GET', path: '/history',
    handler: (req, res, state) => {
      const maxItems = req.query.get('max_items');
      const offset = req.query.get('offset');
      sendJson(res, state.history.window(maxItems === null ? undefined : Number(pyInt(maxItems)), offset === null ? -1 : Number(pyInt(offset))));
    },
  },
  {
    method: 'GET', path: /^\/history\/(.+)$/,
    handler: (_req, res, state, [id]) => {
      const entry = state.history.get(id!);
      sendJson(res, entry ? new Map([[id!, entry]]) : {});
    },
  },
  {
    method: 'POST', path: '/history',
    handler: async (req, res, state) => {
      const body = await req.json();
      if (isDict(body)) {
        if (body.has('clear') && pyBool(body.get('clear')!)) state.history.clear();
        for (const id of idsOf(body.get('delete'))) if (typeof id === 'string') state.history.delete(id);
      }
      sendEmpty(res);
    },
  },
];
