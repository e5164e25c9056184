import { Events, type BaseInteraction, type Client } from 'discord.js';

/** What an interaction payload says about the channel it was sent from (Discord sends it with every guild interaction). */
export interface InteractionChannel {
  id: string;
  type: number;
  nsfw: boolean;
  parentId: string | null;
}

/** What the bot reads from an interaction payload that discord.js does not keep without its guild caches. */
export interface PayloadFacts {
  channel: InteractionChannel | undefined;
  /** The member's role ids as the payload lists them (empty outside a guild). */
  memberRoleIds: readonly string[];
}

const facts = new WeakMap<BaseInteraction, PayloadFacts>();

/** The facts of the interaction's own payload; undefined when discord.js's internals could not be wrapped. */
export function payloadFacts(interaction: BaseInteraction): PayloadFacts | undefined {
  return facts.get(interaction);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

function readFacts(payload: unknown): PayloadFacts {
  const channel = isObj(payload) && isObj(payload.channel) ? payload.channel : undefined;
  const member = isObj(payload) && isObj(payload.member) ? payload.member : undefined;
  const roles = Array.isArray(member?.roles) ? member.roles.filter((r): r is string => typeof r === 'string') : [];
  return {
    channel: channel && typeof channel.id === 'string' && typeof channel.type === 'number'
      ? { id: channel.id, type: channel.type, nsfw: channel.nsfw === true, parentId: typeof channel.parent_id === 'string' ? channel.parent_id : null }
      : undefined,
    memberRoleIds: roles,
  };
}

interface InteractionCreateAction {
  handle(data: unknown): unknown;
}

/**
 * The bot connects without the Guilds intent (no guild or channel cache: interactions need neither),
 * so `interaction.channel` is always null and `interaction.member.roles` is empty (READY lists every
 * guild as unavailable, and a member of such a guild resolves its roles through the empty role cache):
 * the channel's age restriction and the member's roles have to come from the payload, which discord.js
 * reads but does not keep. Its InteractionCreate action is wrapped to remember them for the Interaction
 * it builds (before any listener runs). Returns false, and
 * wraps nothing, when that discord.js internal is not there.
 */
export function rememberInteractionPayloads(client: Client): boolean {
  const action = (client as unknown as { actions?: { InteractionCreate?: InteractionCreateAction } }).actions?.InteractionCreate;
  if (!action || typeof action.handle !== 'function') return false;
  const original = action.handle.bind(action);
  let current: PayloadFacts | undefined;
  client.prependListener(Events.InteractionCreate, (interaction) => {
    if (current) facts.set(interaction, current);
  });
  action.handle = (data: unknown) => {
    current = readFacts(data);
    try {
      return original(data);
    } finally {
      current = undefined;
    }
  };
  return true;
}
