import { Migration } from '@mikro-orm/migrations';

export class Migration20261130004700_instance_draining extends Migration {

  override name = 'Migration20261130004700_instance_draining';

  override up(): void | Promise<void> {
    this.addSql(`alter table "comfy_instance" add column "draining" boolean not null default false;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "comfy_instance" drop column "draining";`);
  }

}
