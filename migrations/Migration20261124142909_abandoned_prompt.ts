import { Migration } from '@mikro-orm/migrations';

export class Migration20261124142909_abandoned_prompt extends Migration {

  override name = 'Migration20261124142909_abandoned_prompt';

  override up(): void | Promise<void> {
    this.addSql(`create table "abandoned_prompt" ("instance_id" int not null, "prompt_id" uuid not null, "generation_id" uuid null, "abandoned_at" timestamptz(3) not null default now(), primary key ("instance_id", "prompt_id"));`);

    this.addSql(`alter table "abandoned_prompt" add constraint "abandoned_prompt_instance_id_foreign" foreign key ("instance_id") references "comfy_instance" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "abandoned_prompt" cascade;`);
  }

}
