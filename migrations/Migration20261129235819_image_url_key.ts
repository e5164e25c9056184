import { Migration } from '@mikro-orm/migrations';

export class Migration20261129235819_image_url_key extends Migration {

  override name = 'Migration20261129235819_image_url_key';

  override up(): void | Promise<void> {
    this.addSql(`create table "app_secret" ("name" varchar(64) not null, "value" text not null, "created_at" timestamptz(3) not null default now(), primary key ("name"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "app_secret" cascade;`);
  }

}
