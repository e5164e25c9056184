/**
 * [NEWER] `/api/jobs*` (server.py + comfy_execution/jobs.py, API.md §9): one view over queue and history,
 * and an atomic cancel. Registered under `/api/jobs`, so reachable at `/api/jobs…` and `/api/api/jobs…`,
 * never at `/jobs…`. A 0.3.64 stand-in answers 404 like a server without these routes.
 */
import { HttpStatus, type Req, sendJson } from '../http.ts';
import type { HistoryEntry } from '../history.ts';
import { pyDictGet, pyIter } from '../pycontainers.ts';
import { isDict, type Loose, type PyValue } from '../pyjson.ts';
import type { QueueItem } from '../queue.ts';
import type { ComfyState } from '../state.ts';
import type { Route } from './types.ts';

const ALL_STATUSES = ['pending', 'in_progress', 'completed', 'failed', 'cancelled'];

function field(value: unknown, key: string): unknown {
  if (value instanceof Map) return value.get(key);
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** `prune_dict`: keys whose value is None are left out. */
function pruned(entries: [string, Loose][]): Map<string, Loose> {
  return new Map(entries.filter(([, v]) => v !== undefined && v !== null));
}

function metadata(extraData: unknown): { createTime: Loose; workflowId: Loose } {
  const workflow = field(field(extraData, 'extra_pnginfo'), 'workflow');
  return { createTime: field(extraData, 'create_time') as Loose, workflowId: field(workflow, 'id') as Loose };
}

function queueJob(item: QueueItem, status: 'pending' | 'in_progress'): Map<string, Loose> {
  const { createTime, workflowId } = metadata(item.extraData);
  return pruned([['id', item.promptId], ['status', status], ['priority', item.number], ['create_time', createTime], ['outputs_count', 0], ['workflow_id', workflowId]]);
}

function historyJob(promptId: string, entry: HistoryEntry, includeOutputs: boolean): Map<string, Loose> {
  const tuple = entry.get('prompt') as Loose[];
  const status = entry.get('status');
  const messages = (field(status, 'messages') ?? []) as [string, unknown][];
  let start: Loose;
  let end: Loose;
  let error: Loose;
  let interrupted = false;
  for (const [name, data] of messages) {
    if (name === 'execution_start') start = field(data, 'timestamp') as Loose;
    if (name === 'execution_success' || name === 'execution_error' || name === 'execution_interrupted') end = field(data, 'timestamp') as Loose;
    if (name === 'execution_error') error = data as Loose;
    if (name === 'execution_interrupted') interrupted = true;
  }
  const outputs = entry.get('outputs') as Map<string, Loose>;
  let count = 0;
  for (const ui of outputs.values()) for (const items of isDict(ui) ? ui.values() : []) if (Array.isArray(items)) count += items.length;
  const { createTime, workflowId } = metadata(tuple[3]);
  const job = pruned([
    ['id', promptId],
    ['status', field(status, 'status_str') === 'error' ? (interrupted ? 'cancelled' : 'failed') : 'completed'],
    ['priority', tuple[0]], ['create_time', createTime], ['execution_start_time', start], ['execution_end_time', end],
    ['execution_error', error], ['outputs_count', count], ['workflow_id', workflowId],
  ]);
  if (includeOutputs) {
    job.set('outputs', outputs);
    job.set('execution_status', status as Loose);
    job.set('workflow', { prompt: tuple[2], extra_data: tuple[3] });
  }
  return job;
}

function getJob(state: ComfyState, id: string): Map<string, Loose> | undefined {
  const entry = state.history.get(id);
  if (entry) return historyJob(id, entry, true);
  if (state.running?.promptId === id) return queueJob(state.running, 'in_progress');
  const pending = state.heap.items().find((i) => i.promptId === id);
  return pending ? queueJob(pending, 'pending') : undefined;
}

/** Interrupts the prompt if it is the running one, dequeues it if pending; false when it is neither. */
function cancelJob(state: ComfyState, id: string): boolean {
  if (state.running?.promptId === id) {
    state.interrupt(id);
    return true;
  }
  if (!state.heap.items().some((i) => i.promptId === id)) return false;
  state.deletePending(id);
  return true;
}

/** Only on a 0.38 stand-in, and only under the `/api` prefix (the route table entry is `/api/jobs…`). */
function guard(req: Req, state: ComfyState): void {
  if (state.version !== 'newer' || !req.rawPath.startsWith('/api/')) throw new HttpStatus(404, '404: Not Found');
}

function listJobs(req: Req, state: ComfyState): Loose {
  const statuses = req.query.get('status')?.split(',').map((s) => s.trim()).filter((s) => ALL_STATUSES.includes(s)) ?? ALL_STATUSES;
  const workflowId = req.query.get('workflow_id');
  let jobs: Map<string, Loose>[] = [];
  if (state.running) jobs.push(queueJob(state.running, 'in_progress'));
  jobs.push(...state.heap.items().map((i) => queueJob(i, 'pending')));
  for (const [id, entry] of state.history.window(undefined, -1)) jobs.push(historyJob(id, entry, false));
  jobs = jobs.filter((j) => statuses.includes(j.get('status') as string) && (!workflowId || j.get('workflow_id') === workflowId));
  const desc = (req.query.get('sort_order') ?? 'desc') === 'desc';
  const key = (j: Map<string, Loose>) => Number(j.get('create_time') ?? 0);
  jobs.sort((a, b) => (desc ? key(b) - key(a) : key(a) - key(b)));
  const offset = Math.max(0, Number(req.query.get('offset') ?? 0) || 0);
  const limitText = req.query.get('limit');
  const limit = limitText === null ? undefined : Math.max(0, Number(limitText) || 0);
  const page = jobs.slice(offset, limit === undefined ? undefined : offset + limit);
  return { jobs: page, pagination: { offset, limit: limit ?? null, total: jobs.length, has_more: offset + page.length < jobs.length } };
}

export const jobRoutes: Route[] = [
  {
    method: 'GET', path: /^\/(?:api\/)?jobs$/,
    handler: (req, res, state) => {
      guard(req, state);
      sendJson(res, listJobs(req, state));
    },
  },
  {
    method: 'POST', path: /^\/(?:api\/)?jobs\/cancel$/,
    handler: async (req, res, state) => {
      guard(req, state);
      const ids = pyIter(pyDictGet(await req.json(), 'job_ids', []) as PyValue).filter((id): id is string => typeof id === 'string');
      let cancelled = false;
      for (const id of ids) cancelled = cancelJob(state, id) || cancelled;
      sendJson(res, { cancelled });
    },
  },
  {
    method: 'POST', path: /^\/(?:api\/)?jobs\/([^/]+)\/cancel$/,
    handler: (req, res, state, [id]) => {
      guard(req, state);
      sendJson(res, { cancelled: cancelJob(state, id!) });
    },
  },
  {
    method: 'GET', path: /^\/(?:api\/)?jobs\/([^/]+)$/,
    handler: (req, res, state, [id]) => {
      guard(req, state);
      const job = getJob(state, id!);
      if (job) sendJson(res, job);
      else sendJson(res, { error: 'Job not found' }, 404);
    },
  },
];
