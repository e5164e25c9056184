import { truncate } from '#shared/render/limits.ts';

/** What identifies a raw INTERACTION_CREATE payload in a log line, read without trusting its shape. */
export interface InteractionSummary {
  id?: string;
  type?: unknown;
  commandName?: string;
  commandType?: unknown;
  componentType?: unknown;
  customId?: string;
  guildId?: string;
  channelId?: string;
  userId?: string;
  /** What the payload lacks that every interaction of its type carries. */
  missing: string[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown, max = 120): string | undefined => (typeof v === 'string' ? truncate(v, max) : undefined);

/** Interaction types Discord documents for the gateway: command, component, autocomplete, modal submit. */
export const knownInteractionTypes: ReadonlySet<unknown> = new Set([2, 3, 4, 5]);

/** Summarises whatever arrived (null, an array, a payload missing half its fields). Pure. */
export function summarizeInteraction(payload: unknown): InteractionSummary {
  const d = obj(payload) ?? {};
  const data = obj(d.data);
  const user = obj(d.user) ?? obj(obj(d.member)?.user);
  const missing: string[] = [];
  if (!data && knownInteractionTypes.has(d.type)) missing.push('data');
  if (!user) missing.push('member.user');
  if (d.type === 5 && data && !Array.isArray(data.components)) missing.push('data.components');
  if (data?.options !== undefined && !Array.isArray(data.options)) missing.push('data.options (not a list)');
  return {
    id: str(d.id, 32),
    type: d.type,
    commandName: str(data?.name, 32),
    commandType: d.type === 2 ? data?.type : undefined,
    componentType: data?.component_type,
    customId: str(data?.custom_id),
    guildId: str(d.guild_id, 32),
    channelId: str(d.channel_id, 32),
    userId: str(user?.id, 32),
    missing,
  };
}
