import { Migration } from '@mikro-orm/migrations';

/**
 * The live message of a waiting or running generation: when it was last edited (edits are spaced
 * at least ~1.5 s apart per message) and what it last showed (an edit that would show the same
 * position, ETA or percentage is skipped). /queue reads a member's active requests through a
 * partial index, whatever the length of their history.
 */
export class Migration20261201010000_live_line extends Migration {

  override name = 'Migration20261201010000_live_line';

  override up(): void | Promise<void> {
    this.addSql(`alter table "generation" add "live_edited_at" timestamptz(3) null, add "live_shown" varchar(100) null;`);
    this.addSql(`create index "generation_user_active_idx" on "generation" ("user_id", "created_at", "id") where "status" in ('queued', 'running', 'cancel_requested');`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "generation_user_active_idx";`);
    this.addSql(`alter table "generation" drop column "live_edited_at", drop column "live_shown";`);
  }

}
