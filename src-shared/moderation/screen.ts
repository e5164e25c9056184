import type { Db } from '#shared/db/pool.ts';
import type { NewGeneration } from '#shared/db/repositories/generation-repository.ts';
import { ModerationError, moderationRefusal } from './refusal.ts';
import { loadGuildRules, loadModelAccess } from './rules.ts';

export interface ScreenItem {
  input: NewGeneration;
  roleIds: readonly string[];
}

const modelsOf = (g: NewGeneration) => [{ kind: 'checkpoint', fileName: g.checkpoint }, ...g.loras.map((l) => ({ kind: 'lora', fileName: l.name }))];

/**
 * Checks requests against their guild's moderation (pause, blocklist, models switched off, models
 * limited to roles) in the enqueue, before anything is counted or queued (enqueueMany). Two
 * statements for the whole batch. Returns the refusal per request (null = may go on).
 */
export async function screenGenerations(db: Db, items: readonly ScreenItem[]): Promise<(ModerationError | null)[]> {
  const guilds = items.map((i) => i.input.guildId).filter((g): g is string => g !== null);
  const wanted = items.flatMap((i) => modelsOf(i.input));
  const [rules, models] = await Promise.all([loadGuildRules(db, guilds), loadModelAccess(db, wanted)]);
  const byName = new Map(models.map((m) => [`${m.kind}:${m.fileName}`, m]));
  return items.map(({ input, roleIds }) => {
    const refusal = moderationRefusal(input.guildId === null ? undefined : rules.get(input.guildId), {
      prompt: input.prompt,
      negativePrompt: input.negativePrompt,
      models: modelsOf(input).flatMap((m) => byName.get(`${m.kind}:${m.fileName}`) ?? []),
      roleIds,
    });
    return refusal ? new ModerationError(refusal) : null;
  });
}
