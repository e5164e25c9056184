import type { APIAttachment, APIEmbed, APIMessage, APIMessageComponent } from 'discord-api-types/v10';

export interface DiscordSimOptions {
  host?: string;
  port?: number;
  token?: string;
  applicationId?: string;
  /** HELLO heartbeat_interval in ms (Discord: 41 250). */
  heartbeatIntervalMs?: number;
  /** Per-file upload cap (Discord default 10 MiB). */
  maxFileBytes?: number;
  /** Whole-request cap (Discord: 25 MiB). */
  maxRequestBytes?: number;
  /** Create a default guild ("Test Guild" with #general) and a user ("alice") at start. Default true. */
  seed?: boolean;
  /** Answer a message's edits beyond `count` per `perMs` with 429 (Discord: about 5 per 5 s). Default: off. */
  messageEditLimit?: { count: number; perMs: number };
}

export interface SimUser {
  id: string;
  username: string;
}

export interface SimChannel {
  id: string;
  name: string;
  guildId: string;
  /** A thread has no flag of its own (Discord sends none): it inherits its parent's. */
  nsfw: boolean;
  /** Set for a thread (a public thread, type 11): the text channel it belongs to. */
  parentId?: string;
}

export interface SimGuild {
  id: string;
  name: string;
  ownerId: string;
  channels: SimChannel[];
  /** Ids of extra roles and custom emojis sent in GUILD_CREATE (a real community has dozens). */
  roleIds?: string[];
  emojiIds?: string[];
  /**
   * The per-file upload cap in this guild (its boost tier), stated on its interactions as
   * `attachment_size_limit` and enforced on uploads to its channels; default: the sim's maxFileBytes.
   */
  uploadLimitBytes?: number;
}

/** One earlier version of a message, pushed to `edits` before an edit is applied. */
export interface MessageRevision {
  at: string;
  content: string;
  embeds: APIEmbed[];
  components: APIMessageComponent[];
  attachments: APIAttachment[];
  flags: number;
}

/** A Discord message object as the sim stores it, plus its edit history. */
export type SimMessage = APIMessage & {
  edits: MessageRevision[];
  interactionToken?: string;
  deleted?: boolean;
};

export interface RecordedFile {
  field: string;
  filename: string;
  contentType: string;
  size: number;
}

export interface RecordedResponse {
  type: number;
  data?: unknown;
  files: RecordedFile[];
  at: number;
}

export interface RecordedRequest {
  method: string;
  /** Path after `/api/v10`, decoded (e.g. `/webhooks/1/tok/messages/@original`). */
  path: string;
  /** OpenAPI path template, e.g. `/webhooks/{webhook_id}/{webhook_token}/messages/@original`. */
  route: string;
  query: Record<string, string>;
  status: number;
  /** Parsed JSON body, or the parsed `payload_json` of a multipart body. */
  body: unknown;
  files: RecordedFile[];
  /** Value of the Authorization header, if any. */
  authorization: string | null;
  /** Response body sent back (parsed JSON) or undefined for 204. */
  response: unknown;
  at: number;
}

export interface Violation {
  method: string;
  path: string;
  route: string;
  status: number;
  code: number;
  message: string;
  errors?: unknown;
  at: number;
}

export interface SentInteraction {
  id: string;
  token: string;
  createdAt: number;
  /** The INTERACTION_CREATE payload as dispatched. */
  payload: unknown;
  waitForResponse(timeoutMs?: number): Promise<RecordedResponse>;
  responses: RecordedResponse[];
  original(): SimMessage | undefined;
  followUps(): SimMessage[];
}

export interface InteractionBase {
  user: SimUser;
  guild: SimGuild;
  channel?: SimChannel;
  memberPermissions?: string;
  /** Role ids the member has in the guild (`member.roles`); roles the bot should know belong in the guild's `roleIds`. */
  memberRoles?: string[];
  locale?: string;
}

export interface CommandInteractionOptions extends InteractionBase {
  name: string;
  /** Raw API options; `type` may be left out and is then taken from the registered command. */
  options?: unknown[];
  /** Attachments made with `sim.uploadAttachment` that the options reference (added to `resolved.attachments`). */
  commandType?: number;
}

export interface AutocompleteInteractionOptions extends CommandInteractionOptions {
  /** Name of the focused option (it must appear in `options`, or is added with `focusedValue`). */
  focused: string;
  focusedValue?: string;
}

export interface ComponentInteractionOptions extends InteractionBase {
  message: SimMessage;
  customId: string;
  componentType?: number;
  values?: string[];
}

export interface ModalSubmitOptions extends InteractionBase {
  customId: string;
  fields: Record<string, string>;
  /** The message whose component opened the modal, if any. */
  message?: SimMessage;
}

/** A deliberately odd INTERACTION_CREATE, to see how a bot copes with what Discord should never send. */
export interface RawInteractionOptions extends InteractionBase {
  /** Interaction type as sent; the sim does not check it (callbacks are refused for types it does not know). */
  type: number;
  /** `data` exactly as given; left out, the payload has none. */
  data?: unknown;
  /** The message a component sat on (sent as `message`, and the target of update callbacks). */
  message?: SimMessage;
  /** Gets the finished payload (id, token, member, channel, …) to delete or reshape fields before it is sent. */
  mutate?: (payload: Record<string, unknown>) => void;
}

export interface RateLimitInjection {
  route?: string | RegExp;
  count?: number;
  retryAfterSeconds?: number;
  global?: boolean;
}

export interface ServerErrorInjection {
  route?: string | RegExp;
  count?: number;
  status?: number;
}
