import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { GatewayOpcodes, type GatewaySendPayload } from 'discord-api-types/v10';
import { guildCreatePayload, readyPayload } from './gateway-payloads.ts';
import { sessionId as newSessionId } from './ids.ts';
import type { SimState } from './state.ts';

interface DispatchEvent {
  op: 0;
  t: string;
  s: number;
  d: unknown;
}

export interface GatewaySession {
  id: string;
  shard: [number, number];
  intents: number;
  seq: number;
  events: DispatchEvent[];
  socket: WebSocket | null;
}

const MAX_REPLAY = 1_000;

/** Dispatches Discord sends only to sessions that asked for their intent (the rest, e.g. INTERACTION_CREATE, go to every session). */
const GUILDS_INTENT = 1;
const guildsIntentEvents = new Set([
  'GUILD_CREATE', 'GUILD_UPDATE', 'GUILD_DELETE', 'GUILD_ROLE_CREATE', 'GUILD_ROLE_UPDATE', 'GUILD_ROLE_DELETE',
  'CHANNEL_CREATE', 'CHANNEL_UPDATE', 'CHANNEL_DELETE', 'CHANNEL_PINS_UPDATE',
  'THREAD_CREATE', 'THREAD_UPDATE', 'THREAD_DELETE', 'THREAD_LIST_SYNC', 'THREAD_MEMBER_UPDATE', 'THREAD_MEMBERS_UPDATE', 'STAGE_INSTANCE_CREATE',
  'STAGE_INSTANCE_UPDATE', 'STAGE_INSTANCE_DELETE',
]);
const wants = (session: GatewaySession, t: string) => !guildsIntentEvents.has(t) || (session.intents & GUILDS_INTENT) !== 0;

export function shardOf(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

/**
 * Discord's gateway (JSON text frames, no compression): HELLO, IDENTIFY → READY + GUILD_CREATEs, heartbeat ACKs,
 * RESUME with replay, and fault injectors for op 7, op 9, dropped sockets and withheld ACKs.
 */
export class GatewayServer {
  readonly sessions = new Map<string, GatewaySession>();
  /** When true, op 1 heartbeats get no op 11: the client treats the connection as a zombie and resumes. */
  withholdHeartbeatAcks = false;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #state: SimState;
  readonly #token: string;
  readonly #heartbeatIntervalMs: number;
  #readyCount = 0;
  readonly #readyWaiters = new Set<() => void>();

  constructor(state: SimState, opts: { token: string; heartbeatIntervalMs: number }) {
    this.#state = state;
    this.#token = opts.token;
    this.#heartbeatIntervalMs = opts.heartbeatIntervalMs;
  }

  get url(): string {
    return `${this.#state.baseUrl.replace(/^http/, 'ws')}/gateway`;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    if (url.pathname !== '/gateway' || (url.searchParams.get('encoding') ?? 'json') !== 'json' || url.searchParams.has('compress')) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws));
  }

  #onConnection(ws: WebSocket): void {
    let session: GatewaySession | null = null;
    const send = (payload: unknown) => ws.send(JSON.stringify(payload));
    send({ op: GatewayOpcodes.Hello, d: { heartbeat_interval: this.#heartbeatIntervalMs }, s: null, t: null });
    ws.on('message', (raw) => {
      let payload: GatewaySendPayload;
      try {
        payload = JSON.parse(String(raw)) as GatewaySendPayload;
      } catch {
        ws.close(4002, 'Error while decoding payload.');
        return;
      }
      switch (payload.op) {
        case GatewayOpcodes.Heartbeat:
          if (!this.withholdHeartbeatAcks) send({ op: GatewayOpcodes.HeartbeatAck });
          return;
        case GatewayOpcodes.Identify: {
          if (session) return ws.close(4005, 'Already authenticated.');
          if (payload.d.token !== this.#token) return ws.close(4004, 'Authentication failed.');
          if (typeof payload.d.intents !== 'number') return ws.close(4013, 'Invalid intent(s).');
          session = this.#identify(ws, payload.d.intents, payload.d.shard ?? [0, 1]);
          return;
        }
        case GatewayOpcodes.Resume: {
          const found = this.sessions.get(payload.d.session_id);
          if (!found || payload.d.token !== this.#token) {
            send({ op: GatewayOpcodes.InvalidSession, d: false });
            return;
          }
          session = found;
          found.socket = ws;
          for (const e of found.events) if (e.s > payload.d.seq) send(e);
          this.#push(found, 'RESUMED', {});
          return;
        }
        case GatewayOpcodes.PresenceUpdate:
        case GatewayOpcodes.VoiceStateUpdate:
        case GatewayOpcodes.RequestGuildMembers:
          return;
        default:
          ws.close(4001, 'Unknown opcode.');
      }
    });
    ws.on('close', () => {
      if (session && session.socket === ws) session.socket = null;
    });
  }

  #identify(ws: WebSocket, intents: number, shard: [number, number]): GatewaySession {
    for (const [id, s] of this.sessions) if (!s.socket && s.shard[0] === shard[0]) this.sessions.delete(id);
    const session: GatewaySession = { id: newSessionId(), shard, intents, seq: 0, events: [], socket: ws };
    this.sessions.set(session.id, session);
    const guilds = [...this.#state.guilds.values()].filter((g) => shardOf(g.id, shard[1]) === shard[0]);
    this.#push(session, 'READY', readyPayload(this.#state, { sessionId: session.id, resumeUrl: this.url, shard, guilds }));
    // READY still lists every guild (as unavailable); their GUILD_CREATEs belong to the Guilds intent.
    if (wants(session, 'GUILD_CREATE')) for (const g of guilds) this.#push(session, 'GUILD_CREATE', guildCreatePayload(this.#state, g));
    this.#readyCount += 1;
    for (const w of this.#readyWaiters) w();
    this.#readyWaiters.clear();
    return session;
  }

  #push(session: GatewaySession, t: string, d: unknown): void {
    session.seq += 1;
    const event: DispatchEvent = { op: 0, t, s: session.seq, d };
    session.events.push(event);
    if (session.events.length > MAX_REPLAY) session.events.shift();
    if (session.socket?.readyState === 1) session.socket.send(JSON.stringify(event));
  }

  /** Sends a dispatch to the shard owning `guildId`, or without one to shard 0 (DMs: NOTES §sharding); kept for replay. */
  dispatch(t: string, d: unknown, guildId?: string | null): void {
    for (const session of this.sessions.values()) {
      const target = guildId ? shardOf(guildId, session.shard[1]) : 0;
      if (target !== session.shard[0] || !wants(session, t)) continue;
      this.#push(session, t, d);
    }
  }

  waitForReady(timeoutMs = 5_000): Promise<void> {
    if (this.#readyCount > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#readyWaiters.delete(done);
        reject(new Error(`waitForBot: no client identified within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#readyWaiters.add(done);
    });
  }

  #openSockets(): WebSocket[] {
    return [...this.sessions.values()].map((s) => s.socket).filter((s): s is WebSocket => s?.readyState === 1);
  }

  /** op 7: the client reconnects to resume_gateway_url and RESUMEs. */
  requestReconnect(): void {
    for (const ws of this.#openSockets()) ws.send(JSON.stringify({ op: GatewayOpcodes.Reconnect, d: null }));
  }

  /** op 9: `resumable: false` forgets the sessions, so the client re-IDENTIFYs (about 5 s later: identify throttle). */
  invalidateSessions(resumable = false): void {
    for (const [id, s] of this.sessions) {
      s.socket?.send(JSON.stringify({ op: GatewayOpcodes.InvalidSession, d: resumable }));
      if (!resumable) this.sessions.delete(id);
    }
  }

  /** Closes every socket with `code` (default 4000, which clients answer with a RESUME). */
  dropConnections(code = 4000): void {
    for (const ws of this.#openSockets()) ws.close(code, 'Simulated disconnect');
  }

  close(): void {
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
  }
}
