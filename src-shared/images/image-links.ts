import { randomBytes } from 'node:crypto';
import type { Config } from '#shared/config.ts';
import type { Db } from '#shared/db/pool.ts';
import { offerAppSecret, selectAppSecret } from '#shared/db/sql/app-secrets.ts';
import { imagePath, type ThumbnailName } from './image-paths.ts';
import { signedUrl, signPath, verifySignature, type SignatureCheck } from './signing.ts';

export const imageUrlKeyName = 'image_url_key';

export interface ImageLinksOptions {
  db: Db;
  /** IMAGE_URL_SECRET; when unset, a key made once and kept in the database is shared by every process. */
  secret?: string | undefined;
  ttlSeconds: number;
  /** PUBLIC_BASE_URL: where the admin API that serves /images is reached. */
  baseUrl: string;
  now?: () => number;
}

/** Loads the shared key, creating it if no process has yet; concurrent first callers all get the winner's. */
export async function loadImageUrlKey(db: Db): Promise<Buffer> {
  const offer = offerAppSecret(imageUrlKeyName, randomBytes(32).toString('base64url'));
  await db.executeSql(offer.text, offer.values);
  const select = selectAppSecret(imageUrlKeyName);
  const { rows } = await db.executeSql<{ value: string }>(select.text, select.values);
  if (!rows[0]) throw new Error('image URL key missing right after it was offered');
  return Buffer.from(rows[0].value, 'utf8');
}

/** Makes and checks signed, expiring links to stored images. The key is read once per process. */
export class ImageLinks {
  readonly ttlSeconds: number;
  readonly #opts: ImageLinksOptions;
  #key: Promise<Buffer> | undefined;

  constructor(opts: ImageLinksOptions) {
    this.#opts = opts;
    this.ttlSeconds = opts.ttlSeconds;
  }

  key(): Promise<Buffer> {
    if (this.#opts.secret) return Promise.resolve(Buffer.from(this.#opts.secret, 'utf8'));
    this.#key ??= loadImageUrlKey(this.#opts.db).catch((err: unknown) => {
      // A database hiccup must not stick: the next request tries again.
      this.#key = undefined;
      throw err;
    });
    return this.#key;
  }

  nowSeconds(): number {
    return Math.floor((this.#opts.now?.() ?? Date.now()) / 1000);
  }

  async url(generationId: string, index: number, thumbnail?: ThumbnailName): Promise<string> {
    const path = imagePath(generationId, index, thumbnail);
    return signedUrl(this.#opts.baseUrl, path, signPath(path, this.nowSeconds() + this.ttlSeconds, await this.key()));
  }

  async verify(path: string, query: { expires?: unknown; sig?: unknown }): Promise<SignatureCheck> {
    return verifySignature(path, query, await this.key(), this.nowSeconds());
  }
}

export function imageLinksFromConfig(config: Pick<Config, 'IMAGE_URL_SECRET' | 'IMAGE_URL_TTL_SECONDS' | 'PUBLIC_BASE_URL'>, db: Db): ImageLinks {
  return new ImageLinks({ db, secret: config.IMAGE_URL_SECRET, ttlSeconds: config.IMAGE_URL_TTL_SECONDS, baseUrl: config.PUBLIC_BASE_URL });
}
