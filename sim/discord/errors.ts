/** Discord's JSON error body: `{ code, message, errors? }`, with the HTTP status that goes with it. */
export class DiscordHttpError extends Error {
  readonly status: number;
  readonly code: number;
  readonly errors: unknown;

  constructor(status: number, code: number, message: string, errors?: unknown) {
    super(message);
    this.name = 'DiscordHttpError';
    this.status = status;
    this.code = code;
    this.errors = errors;
  }

  toBody(): Record<string, unknown> {
    return this.errors === undefined
      ? { message: this.message, code: this.code }
      : { message: this.message, code: this.code, errors: this.errors };
  }
}

export const DiscordErrors = {
  unauthorized: () => new DiscordHttpError(401, 0, '401: Unauthorized'),
  notFound: () => new DiscordHttpError(404, 0, '404: Not Found'),
  methodNotAllowed: () => new DiscordHttpError(405, 0, '405: Method Not Allowed'),
  unknownChannel: () => new DiscordHttpError(404, 10003, 'Unknown Channel'),
  unknownGuild: () => new DiscordHttpError(404, 10004, 'Unknown Guild'),
  unknownMessage: () => new DiscordHttpError(404, 10008, 'Unknown Message'),
  unknownUser: () => new DiscordHttpError(404, 10013, 'Unknown User'),
  unknownWebhook: () => new DiscordHttpError(404, 10015, 'Unknown Webhook'),
  unknownCommand: () => new DiscordHttpError(404, 10063, 'Unknown application command'),
  unknownInteraction: () => new DiscordHttpError(404, 10062, 'Unknown interaction'),
  alreadyAcknowledged: () => new DiscordHttpError(400, 40060, 'Interaction has already been acknowledged.'),
  tooLarge: () => new DiscordHttpError(413, 40005, 'Request entity too large'),
  emptyMessage: () => new DiscordHttpError(400, 50006, 'Cannot send an empty message'),
  invalidWebhookToken: () => new DiscordHttpError(401, 50027, 'Invalid Webhook Token'),
  invalidFormBody: (errors: unknown) => new DiscordHttpError(400, 50035, 'Invalid Form Body', errors),
  maxFollowUps: () => new DiscordHttpError(400, 40094, 'This interaction has hit the maximum number of follow up messages'),
  badJson: () => new DiscordHttpError(400, 50109, 'The request body contains invalid JSON.'),
} as const;

export interface ErrorDetail {
  code: string;
  message: string;
}

/**
 * Builds Discord's nested `errors` object: `{ embeds: { 0: { title: { _errors: [{code, message}] } } } }`.
 */
export class ErrorTree {
  readonly #root: Record<string, unknown> = {};
  #count = 0;

  add(path: ReadonlyArray<string | number>, code: string, message: string): void {
    let node = this.#root;
    for (const key of path) {
      const k = String(key);
      node[k] ??= {};
      node = node[k] as Record<string, unknown>;
    }
    const list = (node._errors ??= []) as ErrorDetail[];
    list.push({ code, message });
    this.#count += 1;
  }

  get size(): number {
    return this.#count;
  }

  toJSON(): Record<string, unknown> {
    return this.#root;
  }

  throwIfAny(): void {
    if (this.#count > 0) throw DiscordErrors.invalidFormBody(this.toJSON());
  }
}
