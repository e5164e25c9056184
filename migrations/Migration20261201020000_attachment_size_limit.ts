import { Migration } from '@mikro-orm/migrations';

/** The upload cap Discord stated on the interaction that asked for the generation (bytes); null = not stated. */
export class Migration20261201020000_attachment_size_limit extends Migration {

  override name = 'Migration20261201020000_attachment_size_limit';

  override up(): void | Promise<void> {
    this.addSql(`alter table "generation" add "attachment_size_limit" int null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "generation" drop column "attachment_size_limit";`);
  }

}
