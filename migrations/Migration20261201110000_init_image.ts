import { Migration } from '@mikro-orm/migrations';

/** Image to image: the storage key of the picture a generation starts from (its strength is the existing `denoise`). */
export class Migration20261201110000_init_image extends Migration {

  override name = 'Migration20261201110000_init_image';

  override up(): void | Promise<void> {
    this.addSql(`alter table "generation" add column "init_image_key" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "generation" drop column if exists "init_image_key";`);
  }

}
