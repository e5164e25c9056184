import { Migration } from '@mikro-orm/migrations';

/**
 * A finished mark set by the claim function (claim-slot.ts), in the same transaction as the claim
 * that takes the freed slot, is not announced on `genonaut_slots`: the claim sees the slot itself,
 * and a waiter woken for it would only find it taken (a futile claim racing the finishing worker's).
 * The function sets `genonaut.quiet_finish` around its mark and announces the slot itself when it
 * takes none. Every other mark, and every other branch, is announced as before.
 */
export class Migration20261203090000_quiet_claimed_finish extends Migration {

  override name = 'Migration20261203090000_quiet_claimed_finish';

  override up(): void | Promise<void> {
    this.addSql(`drop trigger "generation_slot_freed" on "generation";`);
    this.addSql(`create trigger "generation_slot_freed" after update of "status", "finished_prompt_id" on "generation" for each row
      when ((old.status in ('running', 'cancel_requested') and new.status not in ('running', 'cancel_requested')
          and old.finished_prompt_id is distinct from old.comfy_prompt_id)
        -- the prompt finished on ComfyUI: its slot is free while the outputs are stored
        or (new.status in ('running', 'cancel_requested') and new.finished_prompt_id = new.comfy_prompt_id
          and old.finished_prompt_id is distinct from new.finished_prompt_id
          and current_setting('genonaut.quiet_finish', true) is distinct from 'on')
        -- a waiting request cancelled: the job waiting for a slot for it must see that and end
        or (old.status = 'queued' and new.status = 'cancelled'))
      execute function "genonaut_notify_slots"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger "generation_slot_freed" on "generation";`);
    this.addSql(`create trigger "generation_slot_freed" after update of "status", "finished_prompt_id" on "generation" for each row
      when ((old.status in ('running', 'cancel_requested') and new.status not in ('running', 'cancel_requested')
          and old.finished_prompt_id is distinct from old.comfy_prompt_id)
        or (new.status in ('running', 'cancel_requested') and new.finished_prompt_id = new.comfy_prompt_id
          and old.finished_prompt_id is distinct from new.finished_prompt_id)
        or (old.status = 'queued' and new.status = 'cancelled'))
      execute function "genonaut_notify_slots"();`);
  }

}
