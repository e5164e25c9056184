/** `/queue`, `/interrupt`, `/free`, `/history` (server.py, execution.py PromptQueue). */
import { sendEmpty, sendJson } from '../http.ts';
import { pyContains, pyDictGet, pyGetItem, pyIter, requireHashable } from '../pycontainers.ts';
import type { PyValue } from '../pyjson.ts';
import { pyBool, pyInt } from '../pyops.ts';
import type { Route } from './types.ts';

/** `if "clear" in json_data: if json_data["clear"]: …` and `for x in json_data["delete"]: …` on any JSON body. */
function clearAndDelete(body: PyValue, clear: () => void, remove: (id: PyValue) => void): void {
  if (pyContains(body, 'clear') && pyBool(pyGetItem(body, 'clear'))) clear();
  if (pyContains(body, 'delete')) for (const id of pyIter(pyGetItem(body, 'delete'))) remove(id);
}

export const queueRoutes: Route[] = [
  {
    method: 'GET', path: '/queue',
    handler: (_req, res, state) => sendJson(res, { queue_running: state.runningTuples(), queue_pending: state.pendingTuples() }),
  },
  {
    method: 'POST', path: '/queue',
    handler: async (req, res, state) => {
      // delete_queue_item matches a[1] == id, so only string ids can match.
      clearAndDelete(await req.json(), () => state.wipe(), (id) => {
        if (typeof id === 'string') state.deletePending(id);
      });
      sendEmpty(res);
    },
  },
  {
    method: 'POST', path: '/interrupt',
    handler: async (req, res, state) => {
      let body: PyValue;
      try {
        body = await req.json();
      } catch (ex) {
        if (!(ex instanceof SyntaxError)) throw ex; // only json.JSONDecodeError is caught
        body = new Map();
      }
      const promptId = pyDictGet(body, 'prompt_id', null);
      if (pyBool(promptId)) state.interrupt(typeof promptId === 'string' ? promptId : '\u0000not-a-prompt-id');
      else state.interrupt();
      sendEmpty(res);
    },
  },
  {
    method: 'POST', path: '/free',
    handler: async (req, res, state) => {
      // json_data.get(...): a body that is not a dict raises; unloading models changes nothing here.
      state.requestFree(pyBool(pyDictGet(await req.json(), 'free_memory', false)));
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
      // delete_history_item is history.pop(id, None): an unhashable id raises.
      clearAndDelete(await req.json(), () => state.history.clear(), (id) => {
        requireHashable(id);
        if (typeof id === 'string') state.history.delete(id);
      });
      sendEmpty(res);
    },
  },
];
