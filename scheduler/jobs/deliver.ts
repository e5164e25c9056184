import { Routes } from 'discord-api-types/v10';
import { DiscordAPIError, type RawFile } from '@discordjs/rest';
import type { GenerationRow } from '#shared/db/repositories/generation-repository.ts';
import { uploadCap } from '#shared/discord/upload-cap.ts';
import { markDelivered } from '#shared/db/sql/delivery.ts';
import { selectForLiveEdit } from '#shared/db/sql/line.ts';
import { renderCancelled, renderFailure, type RenderedMessage } from '#shared/render/result-message.ts';
import { renderResultPage } from '#shared/render/result-page.ts';
import type { JobPayload } from '#shared/queue/contracts.ts';
import type { JobDefinition, JobHelpers, SchedulerContext } from '../context.ts';
import { editLiveMessage, planLiveEdits, type LiveRow, type PlannedLiveEdit } from '../generation/live-message.ts';
import { sendThumbnails } from './thumbnail.ts';

// Editing through the interaction token needs it to outlive the request; leave a margin.
const tokenMarginMs = 30_000;

type Payload = JobPayload<'deliver'>;

/**
 * What the deliveries of one fetched batch share: their rows, read in one statement before they
 * run, and the endings posted, recorded as delivered in one statement once all of them ran.
 */
export interface DeliverBatch {
  rows: Map<string, LiveRow>;
  /** The batch's live edits, claimed in one statement before they run (planLiveEdits). */
  live: Map<string, PlannedLiveEdit | null>;
  delivered: { g: GenerationRow; kind: Payload['kind']; files: number; logger: JobHelpers['logger'] }[];
}

/** Posts results, failures and cancellations to Discord, once per generation. */
export const deliverJob: JobDefinition<Payload, DeliverBatch> & { name: 'deliver' } = {
  name: 'deliver',
  // One delivery per generation at a time, in order (see sendDelivery). Deliveries are Discord round
  // trips, not CPU: a few workers each take a batch and run it concurrently, so a burst of endings
  // is posted within a second or two instead of one job per worker per poll.
  workOptions: () => ({ localConcurrency: 2, batchSize: 16, groupConcurrency: 1 }),
  batch: {
    async start(ctx, payloads) {
      const rows = await readRows(ctx, [...new Set(payloads.map((p) => p.generationId))]);
      const edits = payloads.flatMap((p) => {
        const g = p.kind === 'live' || p.kind === 'progress' ? rows.get(p.generationId) : undefined;
        return g ? [{ g, known: p.place }] : [];
      });
      const [, live] = await Promise.all([sendThumbnails(ctx, resultsToDeliver(payloads, rows)), planLiveEdits(ctx, edits)]);
      return { rows, live, delivered: [] };
    },
    // A crash (or a failed write) after a post and before this runs delivers that ending again on
    // the retry, as it would between a post and its own write: an edit lands the same message, a
    // post carries the nonce Discord dedupes.
    async end(ctx, batch) {
      if (batch.delivered.length === 0) return;
      const { text, values } = markDelivered(batch.delivered.map((d) => d.g.id));
      await ctx.db.executeSql(text, values);
      for (const d of batch.delivered) recordDelivered(ctx, d);
    },
  },
  async handle(ctx, { generationId, kind, place }, { logger, batch }) {
    let row = batch?.rows.get(generationId);
    if (!batch) {
      row = (await readRows(ctx, [generationId])).get(generationId);
      if (row) await sendThumbnails(ctx, resultsToDeliver([{ generationId, kind }], new Map([[row.id, row]])));
    }
    if (kind === 'live' || kind === 'progress') {
      if (row) await editLiveMessage(ctx, row, place, (body) => editInPlace(ctx, row, body), batch?.live.get(generationId));
      return;
    }
    const g: GenerationRow | undefined = row;
    if (!g) {
      logger.info('generation erased; nothing to deliver');
      return;
    }
    if (g.deliveredAt) {
      logger.info('already delivered; nothing to do');
      return;
    }
    // The member reads a plain failure text; the technical detail is kept here and in the row.
    if (kind === 'failure') logger.warn({ errorCode: g.errorCode, errorMessage: g.errorMessage }, 'delivering a failure');
    try {
      const { message, files } = kind === 'result' ? await resultWithFiles(ctx, g) : { message: kind === 'failure' ? renderFailure(g) : renderCancelled(g), files: [] };
      await sendMessage(ctx, g, message, files, { allowChannelFallback: true });
      const done = { g, kind, files: files.length, logger };
      if (batch) batch.delivered.push(done);
      else {
        const { text, values } = markDelivered([g.id]);
        await ctx.db.executeSql(text, values);
        recordDelivered(ctx, done);
      }
    } catch (err) {
      ctx.metrics.delivery(kind, 'error');
      throw err;
    }
  },
};

/** The successes about to be delivered: their thumbnails are enqueued first (see sendThumbnails). */
function resultsToDeliver(payloads: Payload[], rows: Map<string, GenerationRow>): GenerationRow[] {
  return payloads.flatMap((p) => {
    const g = p.kind === 'result' ? rows.get(p.generationId) : undefined;
    return g && g.status === 'succeeded' && !g.deliveredAt ? [g] : [];
  });
}

async function readRows(ctx: SchedulerContext, ids: string[]): Promise<Map<string, LiveRow>> {
  const { text, values } = selectForLiveEdit(ids);
  return new Map((await ctx.db.executeSql<LiveRow>(text, values)).rows.map((r) => [r.id, r]));
}

function recordDelivered(ctx: SchedulerContext, { g, kind, files, logger }: DeliverBatch['delivered'][number]): void {
  logger.info({ kind, files }, 'delivered');
  ctx.metrics.delivery(kind, 'delivered');
  ctx.metrics.generationEnded(g);
}

async function resultWithFiles(ctx: SchedulerContext, g: GenerationRow): Promise<{ message: RenderedMessage; files: RawFile[] }> {
  // The cap Discord stated on the interaction that asked for it (its default when none was stated).
  const { message, files } = await renderResultPage(g, { storage: ctx.storage, links: ctx.imageLinks }, undefined, uploadCap(g.attachmentSizeLimit));
  return { message, files };
}

function tokenUsable(g: GenerationRow): boolean {
  return Boolean(g.interactionToken && g.interactionTokenExpiresAt && g.interactionTokenExpiresAt.getTime() - Date.now() > tokenMarginMs);
}

/**
 * A live edit: the reply in place, through the token while valid, then as the bot's own message.
 * False when there is nothing to edit (yet): the reply is not posted, or it was deleted.
 */
async function editInPlace(ctx: SchedulerContext, g: GenerationRow, body: Record<string, unknown>): Promise<boolean> {
  const gone = (err: unknown, statuses: number[]) => err instanceof DiscordAPIError && statuses.includes(err.status);
  if (tokenUsable(g)) {
    try {
      await ctx.discordInteractions.patch(Routes.webhookMessage(g.applicationId, g.interactionToken!, '@original'), { body, auth: false });
      return true;
    } catch (err) {
      if (gone(err, [404])) return false;
      if (!gone(err, [401])) throw err;
    }
  }
  if (!g.messageId) return false;
  try {
    await ctx.discord.patch(Routes.channelMessage(g.channelId, g.messageId), { body });
    return true;
  } catch (err) {
    if (gone(err, [403, 404])) return false;
    throw err;
  }
}

/** Edit the original reply (through the interaction token while valid, then as a channel message); else post. */
async function sendMessage(
  ctx: SchedulerContext,
  g: GenerationRow,
  message: RenderedMessage | { embeds: Record<string, unknown>[] },
  files: RawFile[],
  opts: { allowChannelFallback: boolean },
): Promise<void> {
  if (tokenUsable(g)) {
    try {
      await ctx.discordInteractions.patch(Routes.webhookMessage(g.applicationId, g.interactionToken!, '@original'), {
        body: message,
        files,
        auth: false,
      });
      return;
    } catch (err) {
      const expired = err instanceof DiscordAPIError && (err.status === 401 || err.status === 404);
      if (!expired || !opts.allowChannelFallback) throw err;
    }
  }
  if (!opts.allowChannelFallback) return;
  if (g.messageId) {
    // The bot's own reply can still be edited after the interaction token expired.
    try {
      await ctx.discord.patch(Routes.channelMessage(g.channelId, g.messageId), { body: message, files });
      return;
    } catch (err) {
      if (!(err instanceof DiscordAPIError && (err.status === 404 || err.status === 403))) throw err;
    }
  }
  // The nonce makes a retried post after a crash land once (Discord dedupes enforced nonces).
  await ctx.discord.post(Routes.channelMessages(g.channelId), {
    body: {
      ...message,
      content: ('content' in message && message.content) || `<@${g.userId}>`,
      nonce: g.id.replace(/-/g, '').slice(0, 25),
      enforce_nonce: true,
      allowed_mentions: { users: [g.userId] },
    },
    files,
  });
}
