import { Migration } from '@mikro-orm/migrations';

/** A generation its owner or a moderator deleted: its message is gone and its image links answer 410. */
export class Migration20261130004700_generation_deleted extends Migration {

  override name = 'Migration20261130004700_generation_deleted';

  override up(): void | Promise<void> {
    this.addSql(`alter table "generation" add "deleted_at" timestamptz(3) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "generation" drop column "deleted_at";`);
  }

}
