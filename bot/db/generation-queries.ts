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
