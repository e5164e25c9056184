import { Migration } from '@mikro-orm/migrations';

/**
 * The place in line last computed for a waiting generation (line-update writes the changed ones in
 * one statement), read by its live edit instead of a place carried in each edit job.
 */
export class Migration20261202010000_line_place extends Migration {

  override name = 'Migration20261202010000_line_place';

  override up(): void | Promise<void> {
    this.addSql(`alter table "generation" add "line_place" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "generation" drop column "line_place";`);
  }

}
