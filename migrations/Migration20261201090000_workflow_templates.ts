import { Migration } from '@mikro-orm/migrations';

/**
 * Operator-uploaded workflow templates (API-format graphs with bindings), kept in numbered versions;
 * the node classes each instance offered at its last discovery (placement of a template needs every
 * class it uses); the version a generation was made from; and the editable file-name rules that give
 * a discovered model its base family when its safetensors header does not.
 */
export class Migration20261201090000_workflow_templates extends Migration {

  override name = 'Migration20261201090000_workflow_templates';

  override up(): void | Promise<void> {
    this.addSql(`create table "workflow_template" ("id" serial primary key, "name" varchar(64) not null, "description" varchar(200) not null default '', "enabled" boolean not null default true, "allowed_roles" jsonb not null default '[]', "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now());`);
    this.addSql(`alter table "workflow_template" add constraint "workflow_template_name_unique" unique ("name");`);
    this.addSql(`create table "workflow_template_version" ("id" serial primary key, "template_id" int not null references "workflow_template" ("id") on delete cascade, "version" int not null, "graph" jsonb not null, "bindings" jsonb not null, "node_classes" jsonb not null, "created_at" timestamptz(3) not null default now());`);
    this.addSql(`alter table "workflow_template_version" add constraint "workflow_template_version_unique" unique ("template_id", "version");`);
    this.addSql(`alter table "comfy_instance" add "node_classes" jsonb null;`);
    this.addSql(`alter table "generation" add "workflow_version_id" int null references "workflow_template_version" ("id") on delete set null;`);
    this.addSql(`create index "generation_workflow_version_idx" on "generation" ("workflow_version_id") where "workflow_version_id" is not null;`);
    this.addSql(`create table "model_family_rule" ("id" serial primary key, "position" int not null, "pattern" varchar(200) not null, "family" varchar(32) not null);`);
    // First match wins (lowest position); patterns are case-insensitive JavaScript regular expressions on the file name.
    this.addSql(`insert into "model_family_rule" ("position", "pattern", "family") values
      (10, 'flux', 'flux'),
      (20, 'sd3', 'sd3'),
      (30, 'pony', 'pony'),
      (40, '(^|[^a-z])(sdxl|xl)([^a-z]|$)|sd_xl|juggernautxl|illustrious', 'sdxl'),
      (50, '(^|[^a-z0-9])(v2-|sd2|sd_2)', 'sd2'),
      (60, 'v1-5|sd15|sd_1\\.?5|sd1\\.?5|dreamshaper_8|sdv1-5', 'sd15');`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "model_family_rule" cascade;`);
    this.addSql(`alter table "generation" drop column "workflow_version_id";`);
    this.addSql(`alter table "comfy_instance" drop column "node_classes";`);
    this.addSql(`drop table if exists "workflow_template_version" cascade;`);
    this.addSql(`drop table if exists "workflow_template" cascade;`);
  }

}
