import { Migration } from '@mikro-orm/migrations';

export class Migration20261124131549_initial extends Migration {

  override name = 'Migration20261124131549_initial';

  override up(): void | Promise<void> {
    this.addSql(`create table "audit_log" ("id" bigserial primary key, "actor" varchar(100) not null, "action" varchar(100) not null, "entity" varchar(50) not null, "entity_id" varchar(100) null, "before" jsonb null, "after" jsonb null, "created_at" timestamptz(3) not null default now());`);
    this.addSql(`create index "audit_log_entity_idx" on "audit_log" ("entity", "entity_id", "created_at");`);

    this.addSql(`create table "comfy_instance" ("id" serial primary key, "name" varchar(100) not null, "base_url" varchar(500) not null, "enabled" boolean not null default true, "max_queue_depth" int not null default 2, "health" text not null default 'unknown', "last_error" text null, "last_seen_at" timestamptz(3) null, "avg_seconds_per_step" double precision null, "last_checkpoint" varchar(255) null, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now());`);
    this.addSql(`alter table "comfy_instance" add constraint "comfy_instance_name_unique" unique ("name");`);
    this.addSql(`alter table "comfy_instance" add constraint "comfy_instance_base_url_unique" unique ("base_url");`);

    this.addSql(`create table "generation" ("id" uuid not null, "user_id" varchar(20) not null, "guild_id" varchar(20) null, "channel_id" varchar(20) not null, "message_id" varchar(20) null, "application_id" varchar(20) not null, "interaction_id" varchar(20) null, "interaction_token" text null, "interaction_token_expires_at" timestamptz(3) null, "prompt" text not null, "negative_prompt" text not null default '', "checkpoint" varchar(255) not null, "loras" jsonb not null default '[]', "vae" varchar(255) null, "width" int not null, "height" int not null, "batch_size" int not null default 1, "seed" numeric(20,0) not null, "steps" int not null, "cfg" double precision not null, "sampler" varchar(64) not null, "scheduler" varchar(64) not null, "denoise" double precision not null default 1, "workflow_template" varchar(64) not null default 'txt2img', "status" text not null default 'queued', "progress" double precision not null default 0, "comfy_instance_id" int null, "comfy_prompt_id" uuid null, "error_code" varchar(64) null, "error_message" text null, "attempts" int not null default 0, "outputs" jsonb not null default '[]', "parent_id" uuid null, "created_at" timestamptz(3) not null default now(), "started_at" timestamptz(3) null, "finished_at" timestamptz(3) null, "delivered_at" timestamptz(3) null, "updated_at" timestamptz(3) not null default now(), primary key ("id"));`);
    this.addSql(`alter table "generation" add constraint "generation_comfy_prompt_id_unique" unique ("comfy_prompt_id");`);
    this.addSql(`create index "generation_user_history_idx" on "generation" ("user_id", "created_at" desc, "id" desc);`);
    this.addSql(`create index "generation_guild_created_idx" on "generation" ("guild_id", "created_at" desc);`);
    this.addSql(`create index "generation_active_status_idx" on "generation" ("status", "created_at") where "status" in ('queued', 'running', 'cancel_requested');`);
    this.addSql(`create index "generation_created_idx" on "generation" ("created_at" desc, "id" desc);`);

    this.addSql(`create table "limit_policy" ("id" serial primary key, "scope" text not null, "guild_id" varchar(20) not null default '', "subject_id" varchar(20) not null default '', "per_minute" int null, "per_hour" int null, "per_day" int null, "max_concurrent" int null, "max_batch" int null, "max_steps" int null, "max_pixels" int null, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now());`);
    this.addSql(`alter table "limit_policy" add constraint "limit_policy_scope_unique" unique ("scope", "guild_id", "subject_id");`);

    this.addSql(`create table "model" ("id" serial primary key, "kind" text not null, "file_name" varchar(500) not null, "display_name" varchar(200) not null, "description" text not null default '', "base_family" varchar(32) null, "tags" jsonb not null default '[]', "trigger_words" jsonb not null default '[]', "default_strength_model" double precision null, "default_strength_clip" double precision null, "default_width" int null, "default_height" int null, "default_steps" int null, "default_cfg" double precision null, "default_sampler" varchar(64) null, "default_scheduler" varchar(64) null, "nsfw" boolean not null default false, "enabled" boolean not null default true, "unsafe" boolean not null default false, "available" boolean not null default true, "allowed_roles" jsonb not null default '[]', "source" text not null default 'manual', "instance_ids" jsonb not null default '[]', "sha256" varchar(64) null, "size_bytes" bigint null, "first_seen_at" timestamptz(3) null, "last_seen_at" timestamptz(3) null, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now());`);
    this.addSql(`create index "model_kind_enabled_idx" on "model" ("kind", "enabled");`);
    this.addSql(`alter table "model" add constraint "model_kind_file_name_unique" unique ("kind", "file_name");`);

    this.addSql(`create table "usage_counter" ("subject" varchar(64) not null, "window" text not null, "window_start" timestamptz(3) not null, "count" int not null default 0, primary key ("subject", "window"));`);
    this.addSql(`create index "usage_counter_window_start_idx" on "usage_counter" ("window_start");`);

    this.addSql(`alter table "comfy_instance" add constraint "comfy_instance_queue_depth" check (max_queue_depth between 1 and 100);`);
    this.addSql(`alter table "comfy_instance" add constraint "comfy_instance_health_check" check ("health" in ('unknown', 'healthy', 'unhealthy'));`);

    this.addSql(`alter table "generation" add constraint "generation_comfy_instance_id_foreign" foreign key ("comfy_instance_id") references "comfy_instance" ("id") on delete set null;`);
    this.addSql(`alter table "generation" add constraint "generation_parent_id_foreign" foreign key ("parent_id") references "generation" ("id") on delete set null;`);
    this.addSql(`alter table "generation" add constraint "generation_seed_range" check (seed >= 0 and seed <= 18446744073709551615);`);
    this.addSql(`alter table "generation" add constraint "generation_size_positive" check (width > 0 and height > 0 and batch_size between 1 and 16);`);
    this.addSql(`alter table "generation" add constraint "generation_progress_range" check (progress >= 0 and progress <= 1);`);
    this.addSql(`alter table "generation" add constraint "generation_status_check" check ("status" in ('queued', 'running', 'cancel_requested', 'succeeded', 'failed', 'cancelled'));`);

    this.addSql(`alter table "limit_policy" add constraint "limit_policy_scope_check" check ("scope" in ('global', 'guild', 'role', 'user'));`);

    this.addSql(`alter table "model" add constraint "model_kind_check" check ("kind" in ('checkpoint', 'lora', 'vae', 'embedding'));`);
    this.addSql(`alter table "model" add constraint "model_source_check" check ("source" in ('discovered', 'manual'));`);

    this.addSql(`alter table "usage_counter" add constraint "usage_counter_window_check" check ("window" in ('minute', 'hour', 'day'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "generation" drop constraint "generation_comfy_instance_id_foreign";`);
    this.addSql(`alter table "generation" drop constraint "generation_parent_id_foreign";`);

    this.addSql(`drop table if exists "audit_log" cascade;`);
    this.addSql(`drop table if exists "comfy_instance" cascade;`);
    this.addSql(`drop table if exists "generation" cascade;`);
    this.addSql(`drop table if exists "limit_policy" cascade;`);
    this.addSql(`drop table if exists "model" cascade;`);
    this.addSql(`drop table if exists "usage_counter" cascade;`);
  }

}
