import type { Config } from '#shared/config.ts';
import { LocalStorage } from './local-storage.ts';
import type { ImageStorage } from './storage.ts';

export type StorageConfig = Pick<Config, 'STORAGE_BACKEND' | 'STORAGE_DIR' | 'S3_BUCKET' | 'S3_PREFIX' | 'S3_ENDPOINT' | 'S3_REGION' | 'S3_FORCE_PATH_STYLE'>;

/**
 * The one place every role gets its image storage from. S3 credentials come from the AWS SDK's
 * usual chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, instance role).
 * The AWS SDK is loaded only for S3: it would cost every local-storage process tens of MB.
 */
export async function createStorage(config: StorageConfig, env: Record<string, string | undefined> = process.env): Promise<ImageStorage> {
  if (config.STORAGE_BACKEND !== 's3') return new LocalStorage(config.STORAGE_DIR);
  const { createS3Storage } = await import('./s3-from-config.ts');
  return createS3Storage(config, env);
}

/** A storage that cannot be used at start: its message is the one line to print. */
export class StorageUnavailableError extends Error {
  readonly code = 'GN_STORAGE_UNAVAILABLE';
}

/** Builds the storage and checks it can be used, so a wrong bucket or endpoint stops start-up with one line. */
export async function openStorage(config: StorageConfig, env: Record<string, string | undefined> = process.env): Promise<ImageStorage> {
  const storage = await createStorage(config, env);
  try {
    await storage.probe?.();
  } catch (err) {
    const s3Reason = config.STORAGE_BACKEND === 's3' ? (await import('./s3-from-config.ts')).s3RefusalReason(err) : undefined;
    throw new StorageUnavailableError(describeStorageFailure(config, err, s3Reason), { cause: err });
  }
  return storage;
}

/** One line naming what failed and which settings fix it; never the credentials. */
export function describeStorageFailure(config: StorageConfig, err: unknown, s3Reason?: string): string {
  if (config.STORAGE_BACKEND !== 's3') {
    return `the storage folder ${config.STORAGE_DIR} cannot be used (${(err as Error).message}): fix STORAGE_DIR or its permissions`;
  }
  const where = `S3 bucket "${config.S3_BUCKET}"${config.S3_ENDPOINT ? ` at ${config.S3_ENDPOINT}` : ''}`;
  return `${where} is not usable (${s3Reason ?? reason(err)}): check STORAGE_BACKEND, S3_BUCKET, S3_ENDPOINT, S3_REGION and the AWS credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or a profile)`;
}

function reason(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string };
  if (e.name === 'CredentialsProviderError') return 'no AWS credentials found';
  if (e.code === 'ECONNREFUSED') return 'connection refused';
  if (e.code) return e.code;
  return e.name && e.name !== 'Error' ? e.name : (e.message ?? String(err)).split('\n')[0]!;
}
