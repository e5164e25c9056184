import { listInstances, type InstanceRow } from '#shared/db/sql/instances.ts';
import type { JobPayload } from '#shared/queue/contracts.ts';
import type { GenerateContext, JobDefinition } from '../context.ts';
import { checkInstance } from '../generation/instance-state.ts';
import { probeStorageIfFailing } from '../generation/storage-retry.ts';

/**
 * Probes every enabled instance (`/system_stats`), clears prompts abandoned on it, records its
 * health; and, while image storage is marked failing, tries a write so intake resumes once it works.
 */
export const instanceHealthJob: JobDefinition<JobPayload<'instance-health'>> & { name: 'instance-health' } = {
  name: 'instance-health',
  async handle(base, _payload, { logger }) {
    const ctx = base as GenerateContext;
    await probeStorageIfFailing(ctx);
    const { rows } = await ctx.db.executeSql<InstanceRow>(listInstances().text, []);
    await Promise.all(
      rows
        .filter((i) => i.enabled)
        .map(async (instance) => {
          const error = await checkInstance(ctx, instance, 5000);
          if (error !== null || instance.health !== 'healthy') logger.info({ instance: instance.name, healthy: error === null, error }, 'instance health');
        }),
    );
  },
};
