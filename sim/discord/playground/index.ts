import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InteractionFactory } from '../interaction-builder.ts';
import type { RequestLog } from '../rest/recorder.ts';
import type { SimState } from '../state.ts';
import type { SentInteraction, SimGuild, SimUser } from '../types.ts';
import { ChannelWatch, visibleTo, type ChannelEvent } from './channel-watch.ts';
import { jsonBodyCap, PlaygroundHttpError, readJsonSized, sendError, sendJson } from './http.ts';
import { interactionRequest, maxUploadBytes, type InteractionRequest } from './interaction-request.ts';
import { PlaygroundMembers, type PlaygroundMember } from './members.ts';
import { serveStatic } from './static-files.ts';
import { storeAttachment } from '../uploads.ts';

export const PLAYGROUND_PATH = '/playground';
/** A little over Discord's 3 s ack deadline: a bot that answers at all has answered by then. */
const RESPONSE_WAIT_MS = 3_500;
const KEEPALIVE_MS = 15_000;

export interface Playground {
  /** Adds a member the page can act as (the first added is selected first). */
  addMember(user: SimUser, opts?: { moderator?: boolean }): PlaygroundMember;
  /** `/playground/` on the stand-in. */
  readonly url: string;
}

export interface PlaygroundDeps {
  state: SimState;
  log: RequestLog;
  interactions: InteractionFactory;
  guild: SimGuild;
}

/**
 * A web page on the stand-in that shows one guild channel as a member sees it and sends interactions as that member:
 * `GET /playground/` (static page), `GET /playground/api/session`, `GET /playground/api/events?member=` (Server-Sent
 * Events) and `POST /playground/api/interactions`.
 */
export function createPlayground(deps: PlaygroundDeps): Playground & { handle(req: IncomingMessage, res: ServerResponse, url: URL): void; close(): void } {
  const channel = deps.guild.channels[0]!;
  const members = new PlaygroundMembers(deps.state);
  const watch = new ChannelWatch(deps.state, deps.log, channel.id);

  const session = () => ({
    guild: { id: deps.guild.id, name: deps.guild.name },
    channel: { id: channel.id, name: channel.name },
    bot: { id: deps.state.botUser.id, username: deps.state.botUser.username },
    members: members.list().map((m) => ({ id: m.user.id, username: m.user.username, moderator: m.moderator })),
    commands: [...deps.state.commandsFor(deps.guild.id), ...deps.state.commandsFor()],
  });

  function streamEvents(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const member = members.get(url.searchParams.get('member') ?? '');
    if (!member) return sendError(res, 400, 'member: not one of the playground members (GET /playground/api/session lists them)');
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('snapshot', watch.current().filter((m) => visibleTo(m, member.user.id)));
    const unsubscribe = watch.subscribe((event: ChannelEvent) => {
      if (event.kind === 'delete') send('delete', { id: event.id });
      else if (visibleTo(event.message, member.user.id)) send('message', event.message);
    });
    const keepalive = setInterval(() => res.write(': keep-alive\n\n'), KEEPALIVE_MS);
    req.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
    });
  }

  function send(request: InteractionRequest): SentInteraction {
    const member = members.get(request.member);
    if (!member) throw new PlaygroundHttpError(400, 'member: not one of the playground members');
    const base = { user: member.user, guild: deps.guild, channel, memberPermissions: member.permissions };
    const messageOf = (id: string) => {
      const message = deps.state.messages.get(id);
      if (!message || message.deleted || message.channel_id !== channel.id || !visibleTo(message, member.user.id)) throw new PlaygroundHttpError(404, `messageId: no message ${id} in #${channel.name}`);
      return message;
    };
    try {
      switch (request.kind) {
        case 'command':
          return deps.interactions.command({ ...base, name: request.name, options: request.options });
        case 'autocomplete':
          return deps.interactions.autocomplete({ ...base, name: request.name, options: request.options, focused: request.focused });
        case 'component':
          return deps.interactions.component({ ...base, message: messageOf(request.messageId), customId: request.customId, values: request.values });
        case 'modal': {
          const fields = { ...request.fields };
          for (const [customId, file] of Object.entries(request.files ?? {})) {
            const stored = storeAttachment(deps.state, channel.id, { filename: file.filename, contentType: file.contentType ?? 'application/octet-stream', bytes: Buffer.from(file.base64, 'base64') });
            fields[customId] = stored.id;
          }
          return deps.interactions.modalSubmit({ ...base, customId: request.customId, fields, message: request.messageId ? messageOf(request.messageId) : undefined });
        }
      }
    } catch (err) {
      if (err instanceof PlaygroundHttpError) throw err;
      // The factory refuses what Discord would never send: an unregistered command, a custom_id not on the message.
      throw new PlaygroundHttpError(400, (err as Error).message);
    }
  }

  async function postInteraction(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Only a modal with a file upload may be larger than the usual cap: room for one picture (base64).
    const body = await readJsonSized(req, Math.ceil(maxUploadBytes / 3) * 4 + jsonBodyCap);
    const withFiles = typeof body.value === 'object' && body.value !== null && (body.value as { files?: unknown }).files !== undefined;
    if (body.bytes > jsonBodyCap && !withFiles) throw new PlaygroundHttpError(413, `request body over ${jsonBodyCap} bytes`);
    const parsed = interactionRequest.safeParse(body.value);
    if (!parsed.success) return sendError(res, 400, parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const sent = send(parsed.data);
    const response = await sent.waitForResponse(RESPONSE_WAIT_MS).catch(() => null);
    // Autocomplete choices and modals answer the sender only; messages arrive through the event stream.
    sendJson(res, 200, { id: sent.id, response: response ? { type: response.type, data: response.data ?? null } : null });
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const rest = url.pathname.slice(PLAYGROUND_PATH.length);
    if (rest === '') {
      res.writeHead(308, { Location: `${PLAYGROUND_PATH}/` }).end();
      return;
    }
    if (rest === '/api/session' && method === 'GET') return sendJson(res, 200, session());
    if (rest === '/api/events' && method === 'GET') return streamEvents(req, res, url);
    if (rest === '/api/interactions' && method === 'POST') return postInteraction(req, res);
    if (rest.startsWith('/api/')) return sendError(res, rest === '/api/interactions' || rest === '/api/session' || rest === '/api/events' ? 405 : 404, `${method} ${url.pathname}: no such playground route`);
    if (method === 'GET' && (await serveStatic(rest === '/' ? 'index.html' : rest.slice(1), res))) return;
    sendError(res, 404, `${url.pathname}: not found`);
  }

  return {
    url: `${deps.state.baseUrl}${PLAYGROUND_PATH}/`,
    addMember: (user, opts) => members.add(user, opts),
    handle(req, res, url) {
      route(req, res, url).catch((err: unknown) => {
        if (res.headersSent) return res.destroy();
        if (err instanceof PlaygroundHttpError) sendError(res, err.status, err.message);
        else sendError(res, 500, 'playground: internal error');
      });
    },
    close: () => watch.close(),
  };
}
