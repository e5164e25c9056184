import type { SqlStatement } from '#shared/db/pool.ts';

/**
 * Remembers the messages that show generations, so delivery can edit them after the token expires.
 * One statement for any number of replies (a burst's replies are stored together).
 */
export function setGenerationMessages(pairs: readonly { generationId: string; messageId: string }[]): SqlStatement {
  return {
    text: `update generation g set message_id = v.message_id, updated_at = now()
      from unnest($1::uuid[], $2::text[]) as v(id, message_id)
      where g.id = v.id and g.message_id is null`,
    values: [pairs.map((p) => p.generationId), pairs.map((p) => p.messageId)],
  };
}

export interface ReplyToIdentify {
  id: string;
  applicationId: string;
  interactionToken: string;
}

/**
 * Generations not delivered yet whose reply's message id is unknown and whose interaction token
 * expires between `fromSeconds` and `toSeconds` from now (soonest first, at most `limit`): the last
 * chance to ask Discord which message the reply is, before only the id can reach it.
 */
export function repliesNearTokenExpiry(fromSeconds: number, toSeconds: number, limit: number): SqlStatement {
  return {
    text: `select id, application_id as "applicationId", interaction_token as "interactionToken" from generation
      where interaction_token is not null
        and interaction_token_expires_at > now() + make_interval(secs => $1)
        and interaction_token_expires_at <= now() + make_interval(secs => $2)
        and message_id is null and delivered_at is null
      order by interaction_token_expires_at limit $3`,
    values: [fromSeconds, toSeconds, limit],
  };
}
