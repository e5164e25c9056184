import { Migration } from '@mikro-orm/migrations';

/**
 * Moderation per guild: pause (with the reason new requests are told), a prompt blocklist of words
 * and regular expressions, and models disabled in one guild. A generation whose guild is paused when
 * the scheduler would place it is `held`: it stays queued without a job until /genadmin resume sends
 * its job again.
 */
export class Migration20261130120000_moderation extends Migration {

  override name = 'Migration20261130120000_moderation';

  override up(): void | Promise<void> {
    this.addSql(`create table "guild_settings" ("guild_id" varchar(20) not null, "paused" boolean not null default false, "pause_reason" varchar(200) null, "updated_at" timestamptz(3) not null default now(), primary key ("guild_id"));`);
    this.addSql(`create table "guild_blocklist" ("id" serial primary key, "guild_id" varchar(20) not null, "kind" text not null, "pattern" varchar(200) not null, "created_by" varchar(20) not null, "created_at" timestamptz(3) not null default now());`);
    this.addSql(`alter table "guild_blocklist" add constraint "guild_blocklist_kind_check" check ("kind" in ('word', 'regex'));`);
    this.addSql(`alter table "guild_blocklist" add constraint "guild_blocklist_unique" unique ("guild_id", "kind", "pattern");`);
    this.addSql(`create table "guild_model_disabled" ("guild_id" varchar(20) not null, "model_id" int not null, "created_at" timestamptz(3) not null default now(), primary key ("guild_id", "model_id"));`);
    // No foreign key to model: `truncate model` (tests, resets) would then fail. Deleting a model removes
    // its rows here in the same transaction (ModelRepository.remove); ids are never reused.
    this.addSql(`create index "guild_model_disabled_model_id_idx" on "guild_model_disabled" ("model_id");`);
    this.addSql(`alter table "generation" add "held" boolean not null default false;`);
    this.addSql(`create index "generation_held_idx" on "generation" ("guild_id") where "held";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "generation_held_idx";`);
    this.addSql(`alter table "generation" drop column "held";`);
    this.addSql(`drop table if exists "guild_model_disabled" cascade;`);
    this.addSql(`drop table if exists "guild_blocklist" cascade;`);
    this.addSql(`drop table if exists "guild_settings" cascade;`);
  }

}
