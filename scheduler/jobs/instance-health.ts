import { listInstances, markInstanceHealth, type InstanceRow } from '#shared/db/sql/instances.ts';
import type { JobPayload } from '#shared/queue/contracts.ts';
import type { GenerateContext, JobDefinition } from '../context.ts';

/** Probes every enabled instance (`/system_stats`) and records healthy / unhealthy with the error. */
export const instanceHealthJob: JobDefinition<JobPayload<'instance-health'>> & { name: 'instance-health' } = {
  name: 'instance-health',
  async handle(base, _payload, { logger }) {
    const ctx = base as GenerateContext;
    const { rows } = await ctx.db.executeSql<InstanceRow>(listInstances().text, []);
    await Promise.all(
      rows
        .filter((i) => i.enabled)
        .map(async (instance) => {
          let error: string | null = null;
          try {
            await ctx.instances.client(instance.baseUrl).systemStats(AbortSignal.timeout(5000));
          } catch (err) {
            error = (err as Error).message;
          }
          const stmt = markInstanceHealth(instance.id, error === null, error);
          await ctx.db.executeSql(stmt.text, stmt.values);
          if (error !== null || instance.health !== 'healthy') logger.info({ instance: instance.name, healthy: error === null, error }, 'instance health');
        }),
    );
  },
};
