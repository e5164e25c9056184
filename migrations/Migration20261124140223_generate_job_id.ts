import { Migration } from '@mikro-orm/migrations';

export class Migration20261124140223_generate_job_id extends Migration {

  override name = 'Migration20261124140223_generate_job_id';

  override up(): void | Promise<void> {
    this.addSql(`alter table "generation" add "generate_job_id" uuid null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "generation" drop column "generate_job_id";`);
  }

}
