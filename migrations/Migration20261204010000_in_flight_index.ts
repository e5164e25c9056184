import { Migration } from '@mikro-orm/migrations';

/**
 * An instance's in-flight count (inFlightOfInstance, run by every claim, once per instance looked
 * at) reads that instance's running requests only, not every request waiting or running: with a
 * line of hundreds it scanned them all, several times per claim.
 */
export class Migration20261204010000_in_flight_index extends Migration {

  override name = 'Migration20261204010000_in_flight_index';

  override up(): void | Promise<void> {
    this.addSql(`create index "generation_in_flight_idx" on "generation" ("comfy_instance_id") where "status" in ('running', 'cancel_requested');`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "generation_in_flight_idx";`);
  }

}
