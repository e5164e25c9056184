import { discoverModels } from '#shared/comfyui/discovery/discover.ts';
import type { JobPayload } from '#shared/queue/contracts.ts';
import type { GenerateContext, JobDefinition } from '../context.ts';

/** Refreshes the model table from every enabled instance (new, moved and vanished files). */
export const discoverModelsJob: JobDefinition<JobPayload<'discover-models'>> & { name: 'discover-models' } = {
  name: 'discover-models',
  async handle(base, _payload, { logger, signal }) {
    const ctx = base as GenerateContext;
    const asked: string[] = [];
    const summary = await discoverModels({
      pool: ctx.pool,
      logger,
      enableNew: ctx.config.MODELS_ENABLE_NEW,
      clientFor: (instance) => {
        asked.push(instance.baseUrl);
        return ctx.instances.client(instance.baseUrl);
      },
      signal,
    });
    // The cached loader lists used to validate workflows are stale once files moved.
    if (summary.added.length || summary.updated.length || summary.retired.length) {
      for (const url of asked) ctx.instances.forgetObjectInfo(url);
    }
  },
};
