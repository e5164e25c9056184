import type { Db } from '#shared/db/pool.ts';
import type { Logger } from '#shared/logging.ts';
import { readStorageHealth, type StorageHealthRow } from '#shared/db/sql/storage-health.ts';
import { storageNotice } from '#shared/render/storage-notice.ts';
import { sharedRead } from './shared-read.ts';

/**
 * The notice a "Queued" reply carries while image storage is failing (undefined when it works).
 * Shared by the replies of the moment; a failed read shows no notice rather than failing a reply
 * whose request is already queued.
 */
export function lookupStorageNotice(db: Db, logger: Logger): Promise<string | undefined> {
  const { text, values } = readStorageHealth();
  return sharedRead(db, text, () => db.executeSql<StorageHealthRow>(text, values))
    .then(({ rows }) => storageNotice(rows[0]?.failingSince ?? null))
    .catch((err: unknown) => {
      logger.warn({ err }, 'could not read the storage health; the reply shows no storage notice');
      return undefined;
    });
}
