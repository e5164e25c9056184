import { Migration } from '@mikro-orm/migrations';

/**
 * Retention and erasure: an index for clearing expired interaction tokens; a notification whenever a
 * generation is deleted (🗑) or erased, so the admin API drops its cached copy at once; and the
 * members whose erasure waits for their running work to stop.
 */
export class Migration20261201040000_retention extends Migration {
  override name = 'Migration20261201040000_retention';

  override up(): void | Promise<void> {
    this.addSql(`create index "generation_token_expiry_idx" on "generation" ("interaction_token_expires_at") where "interaction_token" is not null;`);
    this.addSql(`create or replace function "generation_gone_notify"() returns trigger language plpgsql as $$
      begin
        perform pg_notify('generation_gone', old.id::text);
        return null;
      end $$;`);
    this.addSql(`create trigger "generation_deleted_notify" after update of "deleted_at" on "generation"
      for each row when (old.deleted_at is null and new.deleted_at is not null) execute function "generation_gone_notify"();`);
    this.addSql(`create trigger "generation_erased_notify" after delete on "generation" for each row execute function "generation_gone_notify"();`);
    this.addSql(`create table "pending_erasure" ("user_id" varchar(20) not null, "requested_at" timestamptz(3) not null default now(), primary key ("user_id"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "pending_erasure";`);
    this.addSql(`drop trigger if exists "generation_erased_notify" on "generation";`);
    this.addSql(`drop trigger if exists "generation_deleted_notify" on "generation";`);
    this.addSql(`drop function if exists "generation_gone_notify"();`);
    this.addSql(`drop index if exists "generation_token_expiry_idx";`);
  }
}
