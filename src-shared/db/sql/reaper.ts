import type { SqlStatement } from '#shared/db/pool.ts';

/**
 * Active generations with no live generate job — neither their own nor the one that placed them (a
 * job may run another job's generation, see scheduler/jobs/generate.ts): nobody will finish them.
 * Held ones (paused guild) wait without a job on purpose; resume sends it.
 */
export function orphanedGenerations(graceSeconds: number): SqlStatement {
  return {
    text: `select g.id, g.status from generation g
      where g.status in ('queued', 'running', 'cancel_requested') and g.updated_at < now() - make_interval(secs => $1)
        and not g.held
        and not exists (
          select 1 from pgboss.job j where j.name in ('generate', 'generate-dead')
            and (j.data->>'generationId' = g.id::text or j.id = g.generate_job_id) and j.state in ('created', 'retry', 'active'))
      limit 500`,
    values: [graceSeconds],
  };
}

/** Generations that ended but were never delivered, and have no delivery waiting. */
export function undeliveredGenerations(graceSeconds: number): SqlStatement {
  return {
    text: `select g.id, g.status from generation g
      where g.status in ('succeeded', 'failed', 'cancelled') and g.delivered_at is null
        and g.finished_at < now() - make_interval(secs => $1)
        and not exists (
          select 1 from pgboss.job j where j.name = 'deliver' and j.data->>'generationId' = g.id::text
            and j.state in ('created', 'retry', 'active'))
      limit 500`,
    values: [graceSeconds],
  };
}

/** Running longer than the budget. */
export function overdueGenerations(budgetSeconds: number): SqlStatement {
  return {
    text: `select id from generation where status in ('running', 'cancel_requested')
      and started_at < now() - make_interval(secs => $1) limit 500`,
    values: [budgetSeconds],
  };
}
