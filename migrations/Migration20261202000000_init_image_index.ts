import { Migration } from '@mikro-orm/migrations';

/** Retention asks, per picture a member started from, whether any generation still needs it. */
export class Migration20261202000000_init_image_index extends Migration {
  override name = 'Migration20261202000000_init_image_index';

  override up(): void | Promise<void> {
    this.addSql(`create index "generation_init_image_idx" on "generation" ("init_image_key") where "init_image_key" is not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "generation_init_image_idx";`);
  }
}
