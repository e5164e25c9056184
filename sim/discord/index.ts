import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIAttachment } from 'discord-api-types/v10';
import { SimClock } from './clock.ts';
import { FaultInjector, MessageEditLimiter } from './faults.ts';
import { GatewayServer } from './gateway.ts';
import { guildCreatePayload } from './gateway-payloads.ts';
import { botToken, SnowflakeFactory } from './ids.ts';
import { InteractionFactory } from './interaction-builder.ts';
import { createPlayground, PLAYGROUND_PATH, type Playground } from './playground/index.ts';
import { serveCdn } from './rest/cdn.ts';
import { RequestLog } from './rest/recorder.ts';
import { Router } from './rest/router.ts';
import { registerChannelRoutes } from './rest/routes/channels.ts';
import { registerCommandRoutes } from './rest/routes/commands.ts';
import { registerGatewayRoutes } from './rest/routes/gateway.ts';
import { registerInteractionRoutes } from './rest/routes/interactions.ts';
import { registerUserRoutes } from './rest/routes/users.ts';
import { registerWebhookRoutes } from './rest/routes/webhooks.ts';
import { API_PREFIX, handleApiRequest, type RestDeps } from './rest/server.ts';
import { SimState } from './state.ts';
import type { SimChannel,
  AutocompleteInteractionOptions, CommandInteractionOptions, ComponentInteractionOptions, DiscordSimOptions, ModalSubmitOptions,
  RateLimitInjection, RawInteractionOptions, RecordedRequest, SentInteraction, ServerErrorInjection, SimGuild, SimMessage, SimUser, Violation,
} from './types.ts';
import { storeAttachment } from './uploads.ts';
import { OpenApiValidator } from './validation/openapi.ts';

export type * from './types.ts';
export { ACK_DEADLINE_MS } from './rest/routes/interactions.ts';
export { TOKEN_LIFETIME_MS } from './rest/routes/webhooks.ts';

const MiB = 1024 * 1024;

export interface DiscordSim {
  readonly url: string;
  readonly apiBase: string;
  readonly cdnBase: string;
  readonly gatewayUrl: string;
  readonly token: string;
  readonly applicationId: string;
  readonly botUser: SimUser;
  /** Seeded guild and user (present unless `seed: false`). */
  readonly defaultGuild: SimGuild | undefined;
  readonly defaultUser: SimUser | undefined;
  /** Gateway fault injectors: `requestReconnect()` (op 7), `invalidateSessions()` (op 9), `dropConnections(code)`, `withholdHeartbeatAcks`, `dispatch(t, d)`. */
  readonly gateway: GatewayServer;
  /** The web page showing the default guild's first channel (`/playground/`); absent with `seed: false`. */
  readonly playground: Playground | undefined;
  addGuild(opts?: { name?: string; ownerId?: string; channels?: { name?: string; nsfw?: boolean }[]; roles?: number; emojis?: number; uploadLimitBytes?: number }): SimGuild;
  addUser(opts?: { username?: string }): SimUser;
  /** A public thread in one of a guild's text channels; send interactions from it with `channel: thread`. */
  addThread(opts: { parent: SimChannel; name?: string }): SimChannel;
  /** Stores a file as if a user uploaded it; pass its id as an attachment (type 11) option value. */
  uploadAttachment(opts: { channelId: string; filename: string; contentType?: string; data: Uint8Array }): APIAttachment;
  sendCommand(opts: CommandInteractionOptions): SentInteraction;
  sendAutocomplete(opts: AutocompleteInteractionOptions): SentInteraction;
  sendComponent(opts: ComponentInteractionOptions): SentInteraction;
  sendModalSubmit(opts: ModalSubmitOptions): SentInteraction;
  /** An interaction payload as odd as you like (missing fields, wrong types, unknown type); see RawInteractionOptions. */
  sendRawInteraction(opts: RawInteractionOptions): SentInteraction;
  messages(channelId: string): SimMessage[];
  message(id: string): SimMessage | undefined;
  commands(guildId?: string): unknown[];
  readonly requests: RecordedRequest[];
  readonly violations: Violation[];
  waitForRequest(pred: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  injectRateLimit(opts: RateLimitInjection): void;
  injectServerError(opts: ServerErrorInjection): void;
  advanceClock(ms: number): void;
  now(): number;
  waitForBot(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });
}

/** Starts the stand-in Discord (REST `/api/v10`, Gateway `/gateway`, `/cdn`) on loopback. */
export async function startDiscordSim(opts: DiscordSimOptions = {}): Promise<DiscordSim> {
  const host = opts.host ?? '127.0.0.1';
  const clock = new SimClock();
  const ids = new SnowflakeFactory(() => clock.now());
  const botId = opts.applicationId ?? ids.next();
  const token = opts.token ?? botToken(botId);
  const state = new SimState(clock, { id: botId, username: 'genonaut' }, botId);
  const gateway = new GatewayServer(state, { token, heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 41_250 });
  const maxFileBytes = opts.maxFileBytes ?? 10 * MiB;
  const router = new Router();
  registerGatewayRoutes(router, state);
  registerUserRoutes(router, state);
  registerCommandRoutes(router, state);
  registerInteractionRoutes(router, state);
  registerWebhookRoutes(router, state);
  registerChannelRoutes(router, state);
  const log = new RequestLog();
  const faults = new FaultInjector();
  const deps: RestDeps = {
    router, state, validator: new OpenApiValidator(), faults, log, token, maxFileBytes,
    ...(opts.messageEditLimit ? { editLimit: new MessageEditLimiter(opts.messageEditLimit) } : {}), maxRequestBytes: opts.maxRequestBytes ?? 25 * MiB,
  };
  let playground: ReturnType<typeof createPlayground> | undefined;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    if (playground && (url.pathname === PLAYGROUND_PATH || url.pathname.startsWith(`${PLAYGROUND_PATH}/`))) return playground.handle(req, res, url);
    if (url.pathname.startsWith('/cdn/')) return serveCdn(state, url.pathname, res);
    if (url.pathname.startsWith(`${API_PREFIX}/`)) {
      handleApiRequest(deps, req, res, url).catch((err: unknown) => res.destroy(err as Error));
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: '404: Not Found', code: 0 }));
  });
  server.on('upgrade', (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  const address = await listen(server, host, opts.port ?? 0);
  const url = `http://${host}:${address.port}`;
  state.baseUrl = url;
  const interactions = new InteractionFactory(state, gateway, maxFileBytes);
  const seed = opts.seed ?? true;
  const defaultUser = seed ? state.addUser('alice') : undefined;
  const defaultGuild = seed ? state.addGuild('Test Guild', defaultUser!.id, [{ name: 'general' }]) : undefined;
  if (defaultGuild) playground = createPlayground({ state, log, interactions, guild: defaultGuild });

  return {
    url, apiBase: `${url}/api`, cdnBase: `${url}/cdn`, gatewayUrl: gateway.url, token, applicationId: botId,
    botUser: state.botUser, defaultGuild, defaultUser, gateway, playground,
    addGuild: (o = {}) => {
      const guild = state.addGuild(o.name ?? `Guild ${state.guilds.size + 1}`, o.ownerId ?? defaultUser?.id ?? botId, o.channels ?? []);
      guild.roleIds = Array.from({ length: o.roles ?? 0 }, () => state.ids.next());
      guild.emojiIds = Array.from({ length: o.emojis ?? 0 }, () => state.ids.next());
      if (o.uploadLimitBytes !== undefined) guild.uploadLimitBytes = o.uploadLimitBytes;
      gateway.dispatch('GUILD_CREATE', guildCreatePayload(state, guild), guild.id);
      return guild;
    },
    addUser: (o = {}) => state.addUser(o.username ?? `user${state.users.size}`),
    addThread: (o) => state.addThread(o.parent, o.name ?? 'thread'),
    uploadAttachment: (o) => storeAttachment(state, o.channelId, { filename: o.filename, contentType: o.contentType ?? 'application/octet-stream', bytes: o.data }),
    sendCommand: (o) => interactions.command(o),
    sendAutocomplete: (o) => interactions.autocomplete(o),
    sendComponent: (o) => interactions.component(o),
    sendModalSubmit: (o) => interactions.modalSubmit(o),
    sendRawInteraction: (o) => interactions.raw(o),
    messages: (channelId) => state.channelMessages(channelId),
    message: (id) => state.messages.get(id),
    commands: (guildId) => [...state.commandsFor(guildId)],
    requests: log.requests,
    violations: log.violations,
    waitForRequest: (pred, timeoutMs) => log.waitFor(pred, timeoutMs),
    injectRateLimit: (o) => faults.rateLimit(o),
    injectServerError: (o) => faults.serverError(o),
    advanceClock: (ms) => clock.advance(ms),
    now: () => clock.now(),
    waitForBot: (timeoutMs) => gateway.waitForReady(timeoutMs),
    close: async () => {
      playground?.close();
      gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
