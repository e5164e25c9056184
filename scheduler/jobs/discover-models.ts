import { discoverModels } from '#shared/comfyui/discovery/discover.ts';
import { loadInstanceAuthorizations } from '#shared/comfyui/instance-access.ts';
import type { DiscoverySummary } from '#shared/comfyui/discovery/summary.ts';
import type { Logger } from '#shared/logging.ts';
import type { JobPayload } from '#shared/queue/contracts.ts';
import type { GenerateContext, JobDefinition } from '../context.ts';

/** One discovery pass over every enabled instance (new, moved and vanished files). */
export async function runDiscovery(ctx: GenerateContext, logger: Logger, signal: AbortSignal): Promise<DiscoverySummary> {
  // Each pass also picks up proxy Authorization headers changed in the instance table.
  ctx.instances.setAuthorizations(await loadInstanceAuthorizations(ctx.db));
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
  // The cached object_info used to validate workflows is stale once files moved or nodes were installed
  // (node classes are not in the summary, and discovery fetched object_info anyway).
  for (const url of new Set(asked)) ctx.instances.forgetObjectInfo(url);
  return summary;
}

/** The periodic refresh of the model table (the first pass runs at scheduler start, see start-scheduler.ts). */
export const discoverModelsJob: JobDefinition<JobPayload<'discover-models'>> & { name: 'discover-models' } = {
  name: 'discover-models',
  async handle(base, _payload, { logger, signal }) {
    await runDiscovery(base as GenerateContext, logger, signal);
  },
};
