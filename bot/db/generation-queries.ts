import type { SqlStatement } from '#shared/db/pool.ts';

/** Remembers the message that shows a generation, so delivery can edit it after the token expires. */
export function setGenerationMessage(generationId: string, messageId: string): SqlStatement {
  return { text: `update generation set message_id = $2, updated_at = now() where id = $1 and message_id is null`, values: [generationId, messageId] };
}
