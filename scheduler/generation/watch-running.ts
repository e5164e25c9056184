import type { ComfyClient } from '#shared/comfyui/client.ts';
import type { FollowProgress } from '#shared/comfyui/follow-prompt.ts';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import type { GenerationStatus } from '#shared/generation/status.ts';
import { runningCheck } from '#shared/db/sql/generations.ts';
import { sendLiveEdit } from '#shared/queue/send-live.ts';
import type { GenerateContext, JobHelpers } from '../context.ts';
import { liveEditGapMs } from './live-message.ts';

// One statement per check of a running generation: progress (when it moved), the status (to notice
// a user's cancel) and the instance's health. Checked when progress moved and its message may be
// edited again (edits go through the queue, sendLiveEdit, at most once per edit gap), when a cancel
// of it is announced (SlotSignal.watchCancel), and otherwise every checkEveryMs: checking every
// second was most of a farm's statements per generation, one per second of GPU time.
const checkEveryMs = 5000;
const tickMs = 250;

/**
 * While a prompt runs: pass a user's cancel on to ComfyUI, record progress, ask for the progress
 * message to be brought up to date when it moved, and note whether the instance was marked
 * unhealthy (a prompt still waiting there then moves, see followPrompt).
 */
export function watchWhileRunning(ctx: GenerateContext, g: GenerationRow, client: ComfyClient, helpers: JobHelpers) {
  let progress = 0;
  let written = 0;
  let asked = 0;
  let cancelSent = false;
  let busy = false;
  let unhealthy = false;
  let midRunSeen = false;
  let checkedAt = Date.now();
  let editDueAt = 0;
  let cancelAnnounced = false;
  const tick = async () => {
    if (busy) return;
    const moved = progress > written;
    if (!cancelAnnounced && !(moved && Date.now() >= editDueAt) && Date.now() - checkedAt < checkEveryMs) return;
    busy = true;
    cancelAnnounced = false;
    checkedAt = Date.now();
    try {
      const check = runningCheck(g.id, moved ? progress : null, liveEditGapMs);
      const now = (await ctx.db.executeSql<{ status: GenerationStatus | null; instanceUnhealthy: boolean; liveWaitMs: number }>(check.text, check.values)).rows[0];
      if (!now?.status) return;
      unhealthy = now.instanceUnhealthy;
      if (now.status === 'cancel_requested' && !cancelSent) {
        cancelSent = true;
        const how = await client.cancel(g.comfyPromptId!);
        helpers.logger.info({ how }, 'cancel requested by the user');
      }
      if (moved && now.status === 'running') written = progress;
      editDueAt = Date.now() + now.liveWaitMs;
      // Asked for once the message may be edited again (the gap since its last edit has passed), so
      // the edit runs at once: asked every second, every other one was too soon for the deliver job,
      // which queued it again for later (more statements, and found only by polling).
      if (written > asked && now.status === 'running' && now.liveWaitMs <= 0) {
        asked = written;
        editDueAt = Date.now() + liveEditGapMs;
        await sendLiveEdit(ctx.boss, g.id);
      }
    } catch (err) {
      helpers.logger.warn({ err }, 'progress/cancel check failed');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), tickMs);
  const unwatchCancel = ctx.slots.watchCancel(g.id, () => {
    cancelAnnounced = true;
    void tick();
  });
  return {
    onProgress(p: FollowProgress) {
      if (p.stage === 'running' && p.value !== undefined && p.max) progress = Math.min(0.99, p.value / p.max);
      if (p.stage === 'running' && !midRunSeen && ctx.__test__?.checkpoint) {
        midRunSeen = true;
        void Promise.resolve(ctx.__test__.checkpoint('mid-run', g.id)).catch(() => undefined);
      }
    },
    get instanceUnhealthy(): boolean {
      return unhealthy;
    },
    stop() {
      clearInterval(timer);
      unwatchCancel();
    },
  };
}
