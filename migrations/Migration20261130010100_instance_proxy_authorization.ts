import { Migration } from '@mikro-orm/migrations';

/**
 * The Authorization header a reverse proxy in front of a ComfyUI instance wants (ComfyUI has no auth
 * of its own). A secret: read only by the ComfyUI clients, never selected by instanceColumns.
 */
export class Migration20261130010100_instance_proxy_authorization extends Migration {

  override name = 'Migration20261130010100_instance_proxy_authorization';

  override up(): void | Promise<void> {
    this.addSql(`alter table "comfy_instance" add "proxy_authorization" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "comfy_instance" drop column "proxy_authorization";`);
  }

}
