import { discordRateLimitLog } from './respond/rate-limit-log.ts';
import { Events, type Client } from 'discord.js';
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { asDb } from '#shared/db/pool.ts';
import type { Logger } from '#shared/logging.ts';
import { createBotClient } from './client.ts';
import { commands, componentHandlers, modalHandlers } from './command-list.ts';
import type { BotContext } from './context.ts';
import { summarizeInteraction } from './listeners/interaction-summary.ts';
import { rememberInteractionPayloads } from './listeners/interaction-payloads.ts';
import { watchUnreadInteractions, type UnreadOutcome } from './listeners/unread-interactions.ts';
import { answerUnread, unreadableMessage, unsupportedMessage } from './respond/answer-unread.ts';
import { deferAfterMs } from './respond/reply-in-time.ts';
import { defaultImageInput, type ImageInputSettings } from './images/image-input.ts';
import { createInteractionRouter } from './router.ts';
import { ReplyBookkeeping } from './services/reply-bookkeeping.ts';
import { GenerationEnqueuer } from '#shared/generation/enqueuer.ts';
import { Limiter, type LimiterSettings } from '#shared/limits/limiter.ts';
import { watchDiscordRest } from '#shared/observability/registry.ts';
import type { RunningMetricsServer } from '#shared/observability/metrics-server.ts';
import { createBotMetrics, type BotMetrics } from './metrics.ts';
import { startBotMetricsServer } from './metrics-server.ts';

export interface BotDeps {
  token: string;
  applicationId: string;
  apiBase: string;
  pool: pg.Pool;
  boss: PgBoss;
  logger: Logger;
  waitGuildTimeoutMs?: number;
  /** Defaults to 1.5 s; tests set 0 to exercise the deferred path. */
  deferAfterMs?: number;
  /** Limit defaults and line cap (from configuration); without them nothing is capped. */
  limits?: LimiterSettings;
  /** Tests only: the limiter's clock (default: the database's). */
  limitClock?: () => Date;
  /** Stored images and signed links (◀ ▶ re-render a result with another image of its batch). */
  images: BotContext['images'];
  /** Image to image settings (configuration); defaults without them. */
  imageInput?: ImageInputSettings;
  /** Where to serve /metrics, /healthz and /readyz (port 0 = a free one); none without it. */
  metricsListen?: { host: string; port: number };
}

export interface RunningBot {
  client: Client;
  metrics: BotMetrics;
  /** Where `/metrics`, `/healthz` and `/readyz` answer; undefined when the listener is off. */
  metricsUrl: string | undefined;
  /** Stops taking interactions, waits for those in flight, closes the gateway. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A burst of a few hundred /imagine goes into one enqueue statement rather than several of 100
 * side by side: its p99 was lower on the 2-core bench machine (bench/interaction-latency.ts).
 */
const enqueueBatchMax = 250;

/** Logs the bot in and resolves once discord.js is ready (READY plus every GUILD_CREATE). */
export async function startBot(deps: BotDeps): Promise<RunningBot> {
  const logger = deps.logger.child({ component: 'bot' });
  const limiter = deps.limits ? new Limiter(deps.limits, deps.limitClock) : Limiter.unlimited();
  const db = asDb(deps.pool);
  const ctx: BotContext = {
    pool: deps.pool, db, boss: deps.boss, enqueuer: new GenerationEnqueuer(deps.pool, deps.boss, { limiter, maxBatch: enqueueBatchMax }), limiter, logger,
    replies: new ReplyBookkeeping(db, deps.boss, logger),
    applicationId: deps.applicationId, deferAfterMs: deps.deferAfterMs ?? deferAfterMs, images: deps.images,
    imageInput: deps.imageInput ?? defaultImageInput,
  };
  const metrics = createBotMetrics();
  const router = createInteractionRouter({ commands, components: componentHandlers, modals: modalHandlers, ctx, onHandled: metrics.onHandled });
  const client = createBotClient({ apiBase: deps.apiBase, waitGuildTimeoutMs: deps.waitGuildTimeoutMs });
  watchDiscordRest(metrics.registry, client.rest);
  client.on(Events.InteractionCreate, router.handle);
  const onUnread = (payload: unknown, outcome: UnreadOutcome) => {
    const interaction = summarizeInteraction(payload);
    if (outcome.kind === 'threw') logger.warn({ err: outcome.error, interaction }, 'discord.js could not read an interaction');
    else logger.warn({ interaction }, 'interaction of a kind this bot does not handle');
    const message = outcome.kind === 'threw' ? unreadableMessage : unsupportedMessage;
    router.track(answerUnread(client.rest, (payload ?? {}) as Record<string, unknown>, message, logger));
  };
  if (!rememberInteractionPayloads(client)) logger.warn('cannot read interaction payloads through discord.js; channels count as not age-restricted and members as without roles');
  if (!watchUnreadInteractions(client, onUnread)) logger.warn('cannot watch discord.js interaction parsing; unreadable interactions will go unanswered');
  client.on(Events.Error, (err) => logger.error({ err }, 'discord client error'));
  client.on(Events.ShardError, (err, shardId) => logger.error({ err, shardId }, 'gateway connection error'));
  client.on(Events.Warn, (message) => logger.warn(message));
  client.on(Events.ShardDisconnect, (event, shardId) => logger.warn({ shardId, code: event.code }, 'gateway disconnected'));
  client.on(Events.ShardResume, (shardId) => logger.info({ shardId }, 'gateway resumed'));
  // A 429 storm is one outage: logged when it starts, reminded a minute, and once over.
  client.rest.on('rateLimited', discordRateLimitLog(logger));

  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  try {
    await client.login(deps.token);
    await ready;
  } catch (err) {
    await client.destroy();
    throw err;
  }
  logger.info({ user: client.user?.tag, guilds: client.guilds.cache.size }, 'bot ready');
  // Started once ready, so a scrape never races the login; /readyz still watches the gateway after.
  const metricsServer: RunningMetricsServer | undefined = deps.metricsListen ? await startBotMetricsServer({ client, db: ctx.db, metrics, logger }, deps.metricsListen) : undefined;

  let stopping: Promise<void> | undefined;
  return {
    client,
    metrics,
    metricsUrl: metricsServer?.url,
    stop() {
      stopping ??= (async () => {
        client.off(Events.InteractionCreate, router.handle);
        await router.idle();
        await metricsServer?.close();
        await client.destroy();
        logger.info('bot stopped');
      })();
      return stopping;
    },
  };
}
