import { AppError, ErrorCode } from '#shared/errors.ts';
import { truncate } from '#shared/render/limits.ts';
import { findBlocked, type BlocklistEntry } from './blocklist.ts';
import type { GuildRules, ModelAccess } from './rules.ts';

export type ModerationRefusal =
  | { kind: 'paused'; reason: string | null }
  | { kind: 'blocked'; field: 'prompt' | 'negative'; entry: BlocklistEntry }
  | { kind: 'model-off'; model: ModelAccess }
  | { kind: 'model-roles'; model: ModelAccess };

/** Whether a member may use a model in a guild: switched off there, or limited to roles they lack. */
export function modelRefusal(model: ModelAccess, rules: GuildRules | undefined, roleIds: readonly string[]): ModerationRefusal | null {
  if (rules?.disabledModelIds.includes(model.id)) return { kind: 'model-off', model };
  if (model.allowedRoles.length && !model.allowedRoles.some((r) => roleIds.includes(r))) return { kind: 'model-roles', model };
  return null;
}

export interface ScreenedRequest {
  prompt: string;
  negativePrompt: string;
  /** The checkpoint and LoRAs it names, as looked up (a name not found is the caller's problem). */
  models: readonly ModelAccess[];
  roleIds: readonly string[];
}

/** The first moderation rule a request breaks, or null. Pure. Order: pause, blocklist, models. */
export function moderationRefusal(rules: GuildRules | undefined, req: ScreenedRequest): ModerationRefusal | null {
  if (rules?.paused) return { kind: 'paused', reason: rules.pauseReason };
  if (rules?.blocklist.length) {
    const inPrompt = findBlocked(rules.blocklist, [req.prompt]);
    if (inPrompt) return { kind: 'blocked', field: 'prompt', entry: inPrompt };
    const inNegative = findBlocked(rules.blocklist, [req.negativePrompt]);
    if (inNegative) return { kind: 'blocked', field: 'negative', entry: inNegative };
  }
  for (const model of req.models) {
    const refusal = modelRefusal(model, rules, req.roleIds);
    if (refusal) return refusal;
  }
  return null;
}

const option = (m: ModelAccess) => (m.kind === 'lora' ? 'lora' : 'model');

/** What the member is told (ephemerally). A blocked regex is not shown: it would teach how to get round it. */
export function moderationMessage(r: ModerationRefusal): string {
  switch (r.kind) {
    case 'paused': {
      const why = r.reason ? ` (${truncate(r.reason, 200)})` : '';
      return `Image generation is paused in this server by its moderators${why}. Requests already queued wait and start when it resumes.`;
    }
    case 'blocked': {
      const where = r.field === 'prompt' ? 'Your prompt' : 'Your negative prompt';
      const what = r.entry.kind === 'word' ? `"${truncate(r.entry.pattern, 100)}", which this server does not allow` : 'something this server does not allow';
      return `${where} contains ${what}. Rephrase it and try again.`;
    }
    case 'model-off':
      return `\`${option(r.model)}\`: ${r.model.displayName} is switched off in this server. Pick another from the list.`;
    case 'model-roles':
      return `\`${option(r.model)}\`: ${r.model.displayName} is only for members with certain roles in this server. Pick another from the list.`;
  }
}

/** A request refused by the guild's moderation; its message is what the member sees. */
export class ModerationError extends AppError {
  readonly refusal: ModerationRefusal;

  constructor(refusal: ModerationRefusal) {
    super(ErrorCode.Forbidden, moderationMessage(refusal), { expose: true, details: { refusal: refusal.kind } });
    this.name = 'ModerationError';
    this.refusal = refusal;
  }
}
