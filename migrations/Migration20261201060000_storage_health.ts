import { Migration } from '@mikro-orm/migrations';

/** One row: whether writing to image storage fails now (placement holds new GPU work meanwhile). */
export class Migration20261201060000_storage_health extends Migration {

  override name = 'Migration20261201060000_storage_health';

  override up(): void | Promise<void> {
    this.addSql(`create table "storage_health" ("id" smallint primary key default 1 check ("id" = 1), "failing_since" timestamptz(3) null, "last_error" text null, "updated_at" timestamptz(3) not null default now());`);
    this.addSql(`insert into "storage_health" default values;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "storage_health" cascade;`);
  }

}
