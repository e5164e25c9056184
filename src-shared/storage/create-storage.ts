import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { Config } from '#shared/config.ts';
import { registerSecrets } from '#shared/redaction/scrub-text.ts';
import { LocalStorage } from './local-storage.ts';
import { S3Storage } from './s3-storage.ts';
import type { ImageStorage } from './storage.ts';

export type StorageConfig = Pick<Config, 'STORAGE_BACKEND' | 'STORAGE_DIR' | 'S3_BUCKET' | 'S3_PREFIX' | 'S3_ENDPOINT' | 'S3_REGION' | 'S3_FORCE_PATH_STYLE'>;

/**
 * The one place every role gets its image storage from. S3 credentials come from the AWS SDK's
 * usual chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, instance role).
 */
export function createStorage(config: StorageConfig, env: Record<string, string | undefined> = process.env): ImageStorage {
  if (config.STORAGE_BACKEND !== 's3') return new LocalStorage(config.STORAGE_DIR);
  registerSecrets([env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN].filter((v): v is string => !!v));
  const client = new S3Client({
    region: config.S3_REGION ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
    // MinIO and most self-hosted stores want path-style URLs; AWS prefers virtual-hosted ones.
    forcePathStyle: config.S3_FORCE_PATH_STYLE ?? !!config.S3_ENDPOINT,
    maxAttempts: 3,
  });
  return new S3Storage({ client, bucket: config.S3_BUCKET!, prefix: config.S3_PREFIX ?? '' });
}

/** A storage that cannot be used at start: its message is the one line to print. */
export class StorageUnavailableError extends Error {
  readonly code = 'GN_STORAGE_UNAVAILABLE';
}

/** Builds the storage and checks it can be used, so a wrong bucket or endpoint stops start-up with one line. */
export async function openStorage(config: StorageConfig, env: Record<string, string | undefined> = process.env): Promise<ImageStorage> {
  const storage = createStorage(config, env);
  try {
    await storage.probe?.();
  } catch (err) {
    throw new StorageUnavailableError(describeStorageFailure(config, err), { cause: err });
  }
  return storage;
}

/** One line naming what failed and which settings fix it; never the credentials. */
export function describeStorageFailure(config: StorageConfig, err: unknown): string {
  if (config.STORAGE_BACKEND !== 's3') {
    return `the storage folder ${config.STORAGE_DIR} cannot be used (${(err as Error).message}): fix STORAGE_DIR or its permissions`;
  }
  const where = `S3 bucket "${config.S3_BUCKET}"${config.S3_ENDPOINT ? ` at ${config.S3_ENDPOINT}` : ''}`;
  return `${where} is not usable (${reason(err)}): check STORAGE_BACKEND, S3_BUCKET, S3_ENDPOINT, S3_REGION and the AWS credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or a profile)`;
}

function reason(err: unknown): string {
  if (err instanceof S3ServiceException) {
    const status = err.$metadata.httpStatusCode;
    if (status === 404) return 'no such bucket';
    if (status === 403) return 'access denied: credentials refused or not allowed on this bucket';
    if (status === 301) return 'the bucket is in another region';
    return `${err.name}${status ? ` (HTTP ${status})` : ''}`;
  }
  const e = err as { name?: string; code?: string; message?: string };
  if (e.name === 'CredentialsProviderError') return 'no AWS credentials found';
  if (e.code === 'ECONNREFUSED') return 'connection refused';
  if (e.code) return e.code;
  return e.name && e.name !== 'Error' ? e.name : (e.message ?? String(err)).split('\n')[0]!;
}
