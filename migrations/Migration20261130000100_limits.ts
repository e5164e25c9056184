import { Migration } from '@mikro-orm/migrations';

/**
 * Limits: one usage row per user (fixed-window counts + requests queued or running), a sharded
 * counter of waiting requests, and on each generation the moment the limiter counted it.
 * Requests already in the database are counted as if they had come through the limiter.
 */
export class Migration20261130000100_limits extends Migration {

  override name = 'Migration20261130000100_limits';

  override up(): void | Promise<void> {
    this.addSql(`drop table if exists "usage_counter" cascade;`);

    this.addSql(`create table "user_usage" ("user_id" varchar(20) not null, "minute_start" timestamptz(3) not null, "minute_count" int not null default 0, "hour_start" timestamptz(3) not null, "hour_count" int not null default 0, "day_start" timestamptz(3) not null, "day_count" int not null default 0, "active" int not null default 0, "updated_at" timestamptz(3) not null default now(), primary key ("user_id"));`);
    this.addSql(`create table "queue_waiting" ("shard" smallint not null, "waiting" int not null default 0, primary key ("shard"));`);
    this.addSql(`alter table "generation" add "charged_at" timestamptz(3) null;`);

    this.addSql(`alter table "limit_policy" rename column "max_concurrent" to "max_active";`);
    this.addSql(`alter table "limit_policy" add "blocked" boolean null;`);
    this.addSql(`alter table "limit_policy" add constraint "limit_policy_values_check" check (coalesce(per_minute, 0) >= 0 and coalesce(per_hour, 0) >= 0 and coalesce(per_day, 0) >= 0 and coalesce(max_active, 0) >= 0 and coalesce(max_batch, 0) >= 0 and coalesce(max_steps, 0) >= 0 and coalesce(max_pixels, 0) >= 0);`);
    this.addSql(`alter table "limit_policy" add constraint "limit_policy_scope_shape_check" check ((scope = 'global' and guild_id = '' and subject_id = '') or (scope = 'guild' and guild_id <> '' and subject_id = '') or (scope = 'role' and guild_id <> '' and subject_id <> '') or (scope = 'user' and guild_id = '' and subject_id <> ''));`);

    // Backfill: what is waiting or running now, and today's requests, as the limiter would have counted them.
    this.addSql(`update "generation" set "charged_at" = "created_at" where "status" in ('queued', 'running', 'cancel_requested') or "created_at" >= date_trunc('day', now(), 'UTC');`);
    this.addSql(`insert into "user_usage" ("user_id", "minute_start", "minute_count", "hour_start", "hour_count", "day_start", "day_count", "active")
      select user_id,
        date_trunc('minute', now(), 'UTC'), coalesce(sum(batch_size) filter (where counted and created_at >= date_trunc('minute', now(), 'UTC')), 0),
        date_trunc('hour', now(), 'UTC'), coalesce(sum(batch_size) filter (where counted and created_at >= date_trunc('hour', now(), 'UTC')), 0),
        date_trunc('day', now(), 'UTC'), coalesce(sum(batch_size) filter (where counted and created_at >= date_trunc('day', now(), 'UTC')), 0),
        count(*) filter (where status in ('queued', 'running', 'cancel_requested'))
      from (select user_id, batch_size, created_at, status, not (status in ('failed', 'cancelled') and started_at is null) as counted
            from "generation" where "charged_at" is not null) g
      group by user_id;`);
    this.addSql(`insert into "queue_waiting" ("shard", "waiting") select 0, count(*) from "generation" where "status" = 'queued' and "charged_at" is not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "user_usage" cascade;`);
    this.addSql(`drop table if exists "queue_waiting" cascade;`);
    this.addSql(`alter table "generation" drop column "charged_at";`);

    this.addSql(`alter table "limit_policy" drop constraint "limit_policy_scope_shape_check";`);
    this.addSql(`alter table "limit_policy" drop constraint "limit_policy_values_check";`);
    this.addSql(`alter table "limit_policy" drop column "blocked";`);
    this.addSql(`alter table "limit_policy" rename column "max_active" to "max_concurrent";`);

    this.addSql(`create table "usage_counter" ("subject" varchar(64) not null, "window" text not null, "window_start" timestamptz(3) not null, "count" int not null default 0, primary key ("subject", "window"));`);
    this.addSql(`create index "usage_counter_window_start_idx" on "usage_counter" ("window_start");`);
    this.addSql(`alter table "usage_counter" add constraint "usage_counter_window_check" check ("window" in ('minute', 'hour', 'day'));`);
  }

}
