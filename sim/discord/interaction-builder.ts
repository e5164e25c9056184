import type { APIApplicationCommand, APIApplicationCommandOption, APIAttachment } from 'discord-api-types/v10';
import type { GatewayServer } from './gateway.ts';
import { DEFAULT_PERMISSIONS } from './gateway-payloads.ts';
import { interactionToken } from './ids.ts';
import { toApiMessage } from './messages.ts';
import type { InteractionRecord, SimState } from './state.ts';
import type {
  AutocompleteInteractionOptions, CommandInteractionOptions, ComponentInteractionOptions, InteractionBase, ModalSubmitOptions,
  RawInteractionOptions, RecordedResponse, SentInteraction,
} from './types.ts';
import { cdnUrl } from './uploads.ts';

type RawOption = { name: string; type?: number; value?: unknown; options?: RawOption[]; focused?: boolean };
type Obj = Record<string, unknown>;

/** Builds INTERACTION_CREATE payloads with every field discord.js needs (NOTES §2.1) and dispatches them. */
export class InteractionFactory {
  readonly #state: SimState;
  readonly #gateway: GatewayServer;
  readonly #attachmentSizeLimit: number;

  constructor(state: SimState, gateway: GatewayServer, attachmentSizeLimit: number) {
    this.#state = state;
    this.#gateway = gateway;
    this.#attachmentSizeLimit = attachmentSizeLimit;
  }

  command(opts: CommandInteractionOptions): SentInteraction {
    return this.#send(2, opts, this.#commandData(opts, false));
  }

  autocomplete(opts: AutocompleteInteractionOptions): SentInteraction {
    const options = [...(opts.options ?? [])] as RawOption[];
    const focused = findOption(options, opts.focused);
    if (focused) Object.assign(focused, { focused: true, value: opts.focusedValue ?? String(focused.value ?? '') });
    else options.push({ name: opts.focused, value: opts.focusedValue ?? '', focused: true });
    return this.#send(4, opts, this.#commandData({ ...opts, options }, true));
  }

  component(opts: ComponentInteractionOptions): SentInteraction {
    const found = findComponent(opts.message.components ?? [], opts.customId);
    if (!found && opts.componentType === undefined) throw new Error(`sendComponent: no component with custom_id "${opts.customId}" on message ${opts.message.id}`);
    const componentType = opts.componentType ?? (found!.type as number);
    const data = { component_type: componentType, custom_id: opts.customId, ...(opts.values ? { values: opts.values } : {}) };
    return this.#send(3, opts, data, { message: toApiMessage(opts.message) }, opts.message.id);
  }

  modalSubmit(opts: ModalSubmitOptions): SentInteraction {
    const shown = this.#state.shownModals.get(opts.customId)?.components ?? [];
    const components = Object.entries(opts.fields).map(([customId, value]) => modalAnswer(shown, customId, value));
    const extra = opts.message ? { message: toApiMessage(opts.message) } : {};
    // A file upload (19) answers with attachment ids, described in `resolved.attachments` as for an attachment option.
    const uploaded = Object.entries(opts.fields)
      .filter(([customId, value]) => findComponent(shown, customId)?.type === 19 && value)
      .flatMap(([, value]) => value.split(',').map((id): RawOption => ({ name: 'file', type: 11, value: id })));
    const resolved = uploaded.length ? this.#resolve(uploaded) : undefined;
    return this.#send(5, opts, { custom_id: opts.customId, components, ...(resolved ? { resolved } : {}) }, extra, opts.message?.id);
  }

  /** Any payload at all: the usual envelope around `data` as given, then `mutate` may break it further. */
  raw(opts: RawInteractionOptions): SentInteraction {
    const extra = opts.message ? { message: toApiMessage(opts.message) } : {};
    const payload = this.#payload(opts.type, opts, opts.data, extra);
    opts.mutate?.(payload);
    return this.#dispatch(typeof payload.type === 'number' ? payload.type : opts.type, opts, payload, opts.message?.id);
  }

  #findCommand(guildId: string, name: string, type: number): APIApplicationCommand {
    const match = (c: APIApplicationCommand) => c.name === name && (c.type ?? 1) === type;
    const command = this.#state.commandsFor(guildId).find(match) ?? this.#state.commandsFor().find(match);
    if (!command) throw new Error(`Command "${name}" is not registered (globally or in guild ${guildId}); register it before sending`);
    return command;
  }

  #commandData(opts: CommandInteractionOptions, autocomplete: boolean): Obj {
    const type = opts.commandType ?? 1;
    const command = this.#findCommand(opts.guild.id, opts.name, type);
    const options = normalizeOptions((opts.options ?? []) as RawOption[], command.options ?? []);
    const data: Obj = { id: command.id, name: command.name, type, ...(command.guild_id ? { guild_id: command.guild_id } : {}) };
    if (options.length) data.options = options;
    if (!autocomplete) {
      const resolved = this.#resolve(options);
      if (resolved) data.resolved = resolved;
    }
    return data;
  }

  /** `resolved.attachments` / `resolved.users` for attachment (11) and user (6) options the sim knows. */
  #resolve(options: RawOption[]): Obj | undefined {
    const attachments: Record<string, APIAttachment> = {};
    const users: Obj = {};
    const visit = (list: RawOption[]) => {
      for (const o of list) {
        const id = String(o.value);
        const file = o.type === 11 ? this.#state.files.get(id) : undefined;
        if (file) {
          const url = cdnUrl(this.#state, file.channelId, file.id, file.filename);
          attachments[id] = { id, filename: file.filename, size: file.bytes.byteLength, url, proxy_url: url, content_type: file.contentType };
        }
        const user = o.type === 6 ? this.#state.users.get(id) : undefined;
        if (user) users[id] = this.#state.apiUser(user);
        visit(o.options ?? []);
      }
    };
    visit(options);
    const resolved: Obj = {};
    if (Object.keys(attachments).length) resolved.attachments = attachments;
    if (Object.keys(users).length) resolved.users = users;
    return Object.keys(resolved).length ? resolved : undefined;
  }

  #send(type: number, base: InteractionBase, data: Obj, extra: Obj = {}, sourceMessageId?: string): SentInteraction {
    return this.#dispatch(type, base, this.#payload(type, base, data, extra), sourceMessageId);
  }

  #payload(type: number, base: InteractionBase, data: unknown, extra: Obj): Obj {
    const state = this.#state;
    const id = state.ids.next();
    const channel = base.channel ?? base.guild.channels[0];
    if (!channel) throw new Error(`Guild ${base.guild.id} has no channel`);
    const guildId = base.guild.id;
    const permissions = base.memberPermissions ?? DEFAULT_PERMISSIONS;
    return {
      id, application_id: state.applicationId, type, version: 1, token: interactionToken(id), guild_id: guildId,
      channel: { id: channel.id, type: 0, guild_id: guildId, name: channel.name, nsfw: channel.nsfw, position: 0, permissions, flags: 0, last_message_id: null, parent_id: null, rate_limit_per_user: 0, topic: null },
      channel_id: channel.id,
      member: {
        user: state.apiUser(base.user), roles: base.memberRoles ?? [], permissions, joined_at: state.clock.iso(), deaf: false, mute: false, flags: 0,
        nick: null, avatar: null, premium_since: null, pending: false, communication_disabled_until: null,
      },
      app_permissions: DEFAULT_PERMISSIONS, locale: base.locale ?? 'en-US', guild_locale: 'en-US',
      entitlements: [], authorizing_integration_owners: { 0: guildId }, context: 0,
      attachment_size_limit: base.guild.uploadLimitBytes ?? this.#attachmentSizeLimit,
      ...extra,
      data,
    };
  }

  /** Records the interaction under the payload's id and token (whatever else it lost) and sends it. */
  #dispatch(type: number, base: InteractionBase, payload: Obj, sourceMessageId?: string): SentInteraction {
    const state = this.#state;
    const id = String(payload.id);
    const token = String(payload.token);
    const channelId = (base.channel ?? base.guild.channels[0])!.id;
    const rec: InteractionRecord = {
      id, token, type, createdAt: state.clock.now(), guildId: base.guild.id, channelId, userId: base.user.id, sourceMessageId,
      followUpIds: [], responses: [], payload, waiters: [],
    };
    state.interactions.set(id, rec);
    this.#gateway.dispatch('INTERACTION_CREATE', payload, base.guild.id);
    return sentInteraction(state, rec);
  }
}

function sentInteraction(state: SimState, rec: InteractionRecord): SentInteraction {
  return {
    id: rec.id, token: rec.token, createdAt: rec.createdAt, payload: rec.payload, responses: rec.responses,
    waitForResponse(timeoutMs = 5_000): Promise<RecordedResponse> {
      if (rec.responses[0]) return Promise.resolve(rec.responses[0]);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`interaction ${rec.id}: no callback within ${timeoutMs} ms`)), timeoutMs);
        rec.waiters.push((r) => {
          clearTimeout(timer);
          resolve(r);
        });
      });
    },
    original: () => (rec.originalMessageId ? state.messages.get(rec.originalMessageId) : undefined),
    followUps: () => rec.followUpIds.map((id) => state.messages.get(id)).filter((m) => m !== undefined),
  };
}

function normalizeOptions(options: RawOption[], defs: readonly APIApplicationCommandOption[]): RawOption[] {
  return options.map((o) => {
    const def = defs.find((d) => d.name === o.name) as (APIApplicationCommandOption & { options?: APIApplicationCommandOption[] }) | undefined;
    const type = o.type ?? def?.type ?? 3;
    const nested = o.options ? { options: normalizeOptions(o.options, def?.options ?? []) } : {};
    return { ...o, type, ...nested };
  });
}

/** An option by name, also inside a subcommand or group (where a focused autocomplete option sits in /cmd sub opt). */
function findOption(list: RawOption[], name: string): RawOption | undefined {
  for (const o of list) {
    if (o.name === name && !o.options) return o;
    const inner = o.options && findOption(o.options, name);
    if (inner) return inner;
  }
  return undefined;
}

function findComponent(list: readonly unknown[], customId: string): Obj | undefined {
  for (const raw of list) {
    const c = raw as Obj;
    if (c.custom_id === customId) return c;
    const children = [...((c.components as unknown[]) ?? []), ...(c.accessory ? [c.accessory] : []), ...(c.component ? [c.component] : [])];
    const found = findComponent(children, customId);
    if (found) return found;
  }
  return undefined;
}

/** Answers mirror the layout the bot showed: Label (18) or legacy action row (1) around the input. */
function modalAnswer(shown: unknown[], customId: string, value: string): Obj {
  const wrapper = shown.find((c) => findComponent([c], customId)) as Obj | undefined;
  const inner = findComponent(shown, customId);
  const innerType = (inner?.type as number | undefined) ?? 4;
  const answer: Obj = innerType === 4 ? { type: 4, custom_id: customId, value } : { type: innerType, custom_id: customId, values: value ? value.split(',') : [] };
  if (wrapper?.type === 18) return { type: 18, id: wrapper.id ?? 1, component: { ...answer, id: inner?.id ?? 2 } };
  return { type: 1, components: [answer] };
}
