import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { registerSecrets } from '#shared/redaction/scrub-text.ts';
import type { StorageConfig } from './create-storage.ts';
import { S3Storage } from './s3-storage.ts';

/** The S3 storage a configuration names. Loaded only when STORAGE_BACKEND=s3 (the AWS SDK is large). */
export function createS3Storage(config: StorageConfig, env: Record<string, string | undefined>): S3Storage {
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

/** Why S3 refused, in a few words; undefined when the error is not S3's own answer. */
export function s3RefusalReason(err: unknown): string | undefined {
  if (!(err instanceof S3ServiceException)) return undefined;
  const status = err.$metadata.httpStatusCode;
  if (status === 404) return 'no such bucket';
  if (status === 403) return 'access denied: credentials refused or not allowed on this bucket';
  if (status === 301) return 'the bucket is in another region';
  return `${err.name}${status ? ` (HTTP ${status})` : ''}`;
}
