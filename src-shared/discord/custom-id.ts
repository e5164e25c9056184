import { AppError, ErrorCode } from '#shared/errors.ts';
import { truncate } from '#shared/render/limits.ts';

/** Discord's hard cap is 100; we stay under it with room to spare (Dragonite guards at 80). */
export const maxCustomIdLength = 90;

/**
 * Every custom_id prefix the bot issues, with its current version and the shape of its id part.
 * No HMAC: ids only name a row, and every handler checks the row's owner in the database, so a
 * forged id can at most name someone else's generation — which the owner check refuses.
 */
export const CustomIdAction = {
  Cancel: 'cancel',
  ImagineModal: 'imagine',
  /** 🔁 the same request again, same seed */
  SameSeed: 'again',
  /** 🎲 the same request with a new random seed */
  NewSeed: 'reroll',
  /** ◀ ▶ show image n of a batch: id `<generation id>.<n>` */
  Page: 'page',
  /** 🗑 remove the message and mark the generation deleted */
  Delete: 'delete',
  /** ⭐ keep (or stop keeping) every image of a generation from retention */
  Keep: 'keep',
  /** /forget-me's confirmation: id `<user id>` of the member who asked */
  ForgetMe: 'forget-me',
  /** ⬆ upscale image n of a generation: id `<generation id>.<n>` (like `page`) */
  Upscale: 'upscale',
  /** 🔀 a variation of image n of a generation (image to image at VARY_STRENGTH): id `<generation id>.<n>` */
  Vary: 'vary',
  /** ◀ ▶ through `/generations`: id `<o|n>.<status|->.<model id|->.<created ms, base 36>.<uuid hex>` */
  History: 'gens',
} as const;
export type CustomIdAction = (typeof CustomIdAction)[keyof typeof CustomIdAction];

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const pageShape = new RegExp(`^${uuid.source.slice(1, -1)}\\.(?:0|[1-9]\\d{0,2})$`);

const actionSpecs: Record<CustomIdAction, { version: number; id: RegExp }> = {
  cancel: { version: 1, id: uuid },
  // The modal carries the slash command's other options in a compact, dot-separated form.
  imagine: { version: 1, id: /^[A-Za-z0-9_.-]{0,80}$/ },
  again: { version: 1, id: uuid },
  reroll: { version: 1, id: uuid },
  page: { version: 1, id: pageShape },
  upscale: { version: 1, id: pageShape },
  vary: { version: 1, id: pageShape },
  delete: { version: 1, id: uuid },
  keep: { version: 1, id: uuid },
  'forget-me': { version: 1, id: /^\d{17,20}$/ },
  gens: { version: 1, id: /^[on]\.(?:-|[a-z_]{1,20})\.(?:-|[1-9]\d{0,8})\.[0-9a-z]{1,11}\.[0-9a-f]{32}$/ },
};

/** `page` ids: the generation and the image index to show. */
export function pageId(generationId: string, index: number): string {
  return `${generationId}.${index}`;
}

export function parsePageId(id: string): { generationId: string; index: number } {
  const dot = id.lastIndexOf('.');
  return { generationId: id.slice(0, dot), index: Number(id.slice(dot + 1)) };
}

export interface CustomId {
  action: CustomIdAction;
  version: number;
  id: string;
}

const shape = /^([a-z][a-z-]{0,19}):v(\d{1,3}):(.*)$/s;

function tampered(raw: string, why: string): AppError {
  return new AppError(ErrorCode.CustomIdTampered, 'This button is not one of ours or is out of date.', {
    status: 400,
    expose: true,
    details: { customId: truncate(raw, 120), why },
  });
}

function isAction(value: string): value is CustomIdAction {
  return Object.hasOwn(actionSpecs, value);
}

/** Builds `action:vN:id`; throws CustomIdTooLong (a bug on our side) when it would not fit. */
export function encodeCustomId(action: CustomIdAction, id: string): string {
  const spec = actionSpecs[action];
  const raw = `${action}:v${spec.version}:${id}`;
  if (raw.length > maxCustomIdLength) {
    throw new AppError(ErrorCode.CustomIdTooLong, `custom_id for ${action} is ${raw.length} characters (max ${maxCustomIdLength})`, {
      status: 500,
      details: { action, length: raw.length },
    });
  }
  if (!spec.id.test(id)) throw new AppError(ErrorCode.Internal, `custom_id id part for ${action} has an invalid shape`, { details: { action, id } });
  return raw;
}

/** Parses and checks a custom_id; anything malformed, unknown or from another version is CustomIdTampered. */
export function decodeCustomId(raw: string): CustomId {
  if (raw.length === 0 || raw.length > 100) throw tampered(raw, 'length');
  const match = shape.exec(raw);
  if (!match) throw tampered(raw, 'malformed');
  const [, action, versionText, id] = match as unknown as [string, string, string, string];
  if (!isAction(action)) throw tampered(raw, 'unknown action');
  const spec = actionSpecs[action];
  const version = Number(versionText);
  if (version !== spec.version) throw tampered(raw, 'unknown version');
  if (!spec.id.test(id)) throw tampered(raw, 'bad id');
  return { action, version, id };
}

/** Non-throwing peek at the prefix, for routing to the handler that owns it. */
export function customIdAction(raw: string): string | undefined {
  const colon = raw.indexOf(':');
  return colon > 0 ? raw.slice(0, colon) : undefined;
}
