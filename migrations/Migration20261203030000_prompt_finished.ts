import { Migration } from '@mikro-orm/migrations';

/**
 * A prompt that ComfyUI reports finished no longer holds its instance's slot while its outputs are
 * downloaded and stored: `finished_prompt_id` is set to the prompt id then, and the in-flight count
 * (inFlightOfInstance) leaves out a generation whose current prompt id it names. A new placement
 * gives a fresh prompt id, so the mark never outlives the prompt it was set for. Setting it
 * announces the freed slot on `genonaut_slots`; the ending that follows then announces nothing more
 * (the slot was already free), so no waiter is woken for nothing.
 */
export class Migration20261203030000_prompt_finished extends Migration {

  override name = 'Migration20261203030000_prompt_finished';

  override up(): void | Promise<void> {
    this.addSql(`alter table "generation" add "finished_prompt_id" uuid null;`);
    this.addSql(`drop trigger "generation_slot_freed" on "generation";`);
    this.addSql(`create trigger "generation_slot_freed" after update of "status", "finished_prompt_id" on "generation" for each row
      when ((old.status in ('running', 'cancel_requested') and new.status not in ('running', 'cancel_requested')
          and old.finished_prompt_id is distinct from old.comfy_prompt_id)
        -- the prompt finished on ComfyUI: its slot is free while the outputs are stored
        or (new.status in ('running', 'cancel_requested') and new.finished_prompt_id = new.comfy_prompt_id
          and old.finished_prompt_id is distinct from new.finished_prompt_id)
        -- a waiting request cancelled: the job waiting for a slot for it must see that and end
        or (old.status = 'queued' and new.status = 'cancelled'))
      execute function "genonaut_notify_slots"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger "generation_slot_freed" on "generation";`);
    this.addSql(`create trigger "generation_slot_freed" after update of "status" on "generation" for each row
      when ((old.status in ('running', 'cancel_requested') and new.status not in ('running', 'cancel_requested'))
        or (old.status = 'queued' and new.status = 'cancelled'))
      execute function "genonaut_notify_slots"();`);
    this.addSql(`alter table "generation" drop column "finished_prompt_id";`);
  }

}
