import type { SqlStatement } from '#shared/db/pool.ts';
import type { ModelKind } from '#shared/db/entities/model.ts';

/**
 * Generations not yet finished that name this model (as checkpoint, LoRA or VAE), oldest first.
 * For the ORM's `execute` (`?` placeholders), inside the transaction that holds the model's lock.
 */
export function blockingGenerations(kind: ModelKind, fileName: string): SqlStatement {
  const uses: Record<ModelKind, string> = {
    checkpoint: 'checkpoint = ?',
    lora: `loras @> jsonb_build_array(jsonb_build_object('name', ?::text))`,
    vae: 'vae = ?',
    // Embeddings are named inside prompts; the scheduler cannot lose one mid-run that it never loads by name.
    embedding: 'false and ?::text is null',
  };
  return {
    text: `select id from generation where status in ('queued', 'running', 'cancel_requested') and ${uses[kind]} order by created_at, id limit 100`,
    values: [fileName],
  };
}
