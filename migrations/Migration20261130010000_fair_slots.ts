import { Migration } from '@mikro-orm/migrations';

/**
 * Fair slot assignment across scheduler processes: each waiting generation carries the fair
 * priority the enqueue computed (so whoever has a free slot can pick the most deserving one in SQL),
 * and Postgres announces on `genonaut_slots` whenever a slot may have freed (a generation left
 * running, or an instance changed) or a waiting request was cancelled, so waiting workers listen
 * instead of polling.
 */
export class Migration20261130010000_fair_slots extends Migration {

  override name = 'Migration20261130010000_fair_slots';

  override up(): void | Promise<void> {
    this.addSql(`alter table "generation" add "queue_priority" int not null default 0;`);
    this.addSql(`create index "generation_queued_order_idx" on "generation" ("queue_priority" desc, "created_at", "id") where "status" = 'queued';`);
    this.addSql(`create function "genonaut_notify_slots"() returns trigger language plpgsql as $$
      begin
        perform pg_notify('genonaut_slots', '');
        return null;
      end $$;`);
    this.addSql(`create trigger "generation_slot_freed" after update of "status" on "generation" for each row
      when ((old.status in ('running', 'cancel_requested') and new.status not in ('running', 'cancel_requested'))
        -- a waiting request cancelled: the job waiting for a slot for it must see that and end
        or (old.status = 'queued' and new.status = 'cancelled'))
      execute function "genonaut_notify_slots"();`);
    this.addSql(`create trigger "comfy_instance_slots_changed" after insert or update of "enabled", "draining", "health", "max_queue_depth" on "comfy_instance"
      for each statement execute function "genonaut_notify_slots"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger "comfy_instance_slots_changed" on "comfy_instance";`);
    this.addSql(`drop trigger "generation_slot_freed" on "generation";`);
    this.addSql(`drop function "genonaut_notify_slots"();`);
    this.addSql(`drop index "generation_queued_order_idx";`);
    this.addSql(`alter table "generation" drop column "queue_priority";`);
  }

}
