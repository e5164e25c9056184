/**
 * Which ComfyUI we talk to (0.3.64 baseline or a newer server, API.md §0/§9), read from
 * `/system_stats` rather than configured, and what a newer server's jobs API answers mean.
 */
import type { HistoryEntry, QueuePosition, SystemStats } from './api-types.ts';

export interface ServerKind {
  /** `comfyui_version` as reported, or undefined when the server does not say. */
  version: string | undefined;
  /** `GET /api/jobs/{id}` and `POST /api/jobs/{id}/cancel` exist (API.md §9). */
  jobsApi: boolean;
}

/** The jobs API is part of the NEWER release the contract describes (0.38.1); 0.3.64 has none. */
const jobsApiSince = [0, 38] as const;

export function serverKindOf(stats: SystemStats): ServerKind {
  const version = typeof stats.system?.comfyui_version === 'string' ? stats.system.comfyui_version : undefined;
  return { version, jobsApi: version !== undefined && versionAtLeast(version, jobsApiSince) };
}

function versionAtLeast(version: string, [major, minor]: readonly [number, number]): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

/** Where a prompt is now, from whichever source the server offers. */
export type PromptLookup = Exclude<QueuePosition, { state: 'absent' }> | { state: 'finished'; entry: HistoryEntry } | { state: 'absent' };

/** A job as `GET /api/jobs/{id}` returns it (comfy_execution/jobs.py `get_job`, with outputs). */
export interface Job {
  id: string;
  status: 'pending' | 'in_progress' | 'completed' | 'failed' | 'cancelled' | (string & {});
  priority?: number;
  create_time?: number;
  workflow_id?: string;
  outputs?: HistoryEntry['outputs'];
  execution_status?: HistoryEntry['status'];
  workflow?: { prompt: HistoryEntry['prompt'][2]; extra_data: Record<string, unknown> };
}

/**
 * A finished job as the history entry our outcome code reads, or undefined when the job is not
 * finished or lacks the details (then the caller reads `/history/{id}`).
 */
export function historyEntryOfJob(job: Job): HistoryEntry | undefined {
  if (job.status === 'pending' || job.status === 'in_progress') return undefined;
  if (!job.execution_status || !job.outputs) return undefined;
  return {
    prompt: [job.priority ?? 0, job.id, job.workflow?.prompt ?? {}, job.workflow?.extra_data ?? {}, []],
    outputs: job.outputs,
    status: job.execution_status,
  };
}
