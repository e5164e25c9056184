import { Migration } from '@mikro-orm/migrations';

/**
 * The waiting line per checkpoint, in fair order: a claim looks at the front of each checkpoint's
 * line instead of walking the whole line past requests no free instance can run (slots.ts slotOffers).
 */
export class Migration20261202020000_queued_by_checkpoint extends Migration {

  override name = 'Migration20261202020000_queued_by_checkpoint';

  override up(): void | Promise<void> {
    this.addSql(`create index "generation_queued_checkpoint_idx" on "generation" ("checkpoint", "queue_priority" desc, "created_at", "id") where "status" = 'queued' and not "held";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "generation_queued_checkpoint_idx";`);
  }

}
