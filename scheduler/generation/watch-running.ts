import type { ComfyClient } from '#shared/comfyui/client.ts';
import type { FollowProgress } from '#shared/comfyui/follow-prompt.ts';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import type { GenerationStatus } from '#shared/generation/status.ts';
import { selectStatus, setProgress } from '#shared/db/sql/generations.ts';
import { instanceUnhealthy } from '#shared/db/sql/instances.ts';
import { sendDelivery } from '#shared/queue/send-delivery.ts';
import type { GenerateContext, JobHelpers } from '../context.ts';

const progressEditEveryMs = 1500;
const healthReadEveryMs = 1000;

/**
 * While a prompt runs: pass a user's cancel on to ComfyUI, record progress (at most every 500 ms),
 * enqueue message edits (at most one per 1.5 s, Discord's comfortable edit rate) and note whether
 * the instance was marked unhealthy (a prompt still waiting there then moves, see followPrompt).
 */
export function watchWhileRunning(ctx: GenerateContext, g: GenerationRow, client: ComfyClient, helpers: JobHelpers) {
  let progress = 0;
  let written = 0;
  let lastWrite = 0;
  let lastEdit = 0;
  let cancelSent = false;
  let busy = false;
  let unhealthy = false;
  let lastHealthRead = 0;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const read = selectStatus(g.id);
      const now = (await ctx.db.executeSql<{ status: GenerationStatus }>(read.text, read.values)).rows[0];
      if (!now) return;
      if (now.status === 'cancel_requested' && !cancelSent) {
        cancelSent = true;
        const how = await client.cancel(g.comfyPromptId!);
        helpers.logger.info({ how }, 'cancel requested by the user');
      }
      if (progress > written && Date.now() - lastWrite >= 500 && now.status === 'running') {
        written = progress;
        lastWrite = Date.now();
        const stmt = setProgress(g.id, progress);
        await ctx.db.executeSql(stmt.text, stmt.values);
        if (Date.now() - lastEdit >= progressEditEveryMs) {
          lastEdit = Date.now();
          await sendDelivery(ctx.boss, g.id, 'progress');
        }
      }
      if (g.comfyInstanceId && Date.now() - lastHealthRead >= healthReadEveryMs) {
        lastHealthRead = Date.now();
        const health = instanceUnhealthy(g.comfyInstanceId);
        unhealthy = (await ctx.db.executeSql<{ unhealthy: boolean }>(health.text, health.values)).rows[0]?.unhealthy ?? false;
      }
      await ctx.__test__?.checkpoint?.('mid-run', g.id);
    } catch (err) {
      helpers.logger.warn({ err }, 'progress/cancel check failed');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), 250);
  return {
    onProgress(p: FollowProgress) {
      if (p.stage === 'running' && p.value !== undefined && p.max) progress = Math.min(0.99, p.value / p.max);
    },
    get instanceUnhealthy(): boolean {
      return unhealthy;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
