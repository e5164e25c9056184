import type Router from '@koa/router';
import type { RouterMiddleware } from '@koa/router';
import type { Db } from '#shared/db/pool.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import type { ImageLinks } from '#shared/images/image-links.ts';
import { imagePath } from '#shared/images/image-paths.ts';
import type { Logger } from '#shared/logging.ts';
import type { ImageStorage, OpenedObject } from '#shared/storage/storage.ts';
import { bearerTokenCheck } from '../bearer-token.ts';
import { authorizeImage } from '../images/access.ts';
import { OutputsCache, type ImageRecord } from '../images/outputs-cache.ts';
import { IntegrityCache } from '../images/integrity.ts';
import { imageParams, type ImageParams } from '../images/params.ts';
import { resolveImage, type ResolvedImage } from '../images/resolve-image.ts';
import { redirectToStore } from '../images/redirect.ts';
import { respond } from '../images/respond.ts';
import { validate } from '../middleware/validate.ts';
import { newRouter, publicRoute } from '../routing.ts';
import { generationOutputs } from '../sql/images.ts';

/** What the app is given for images; the router also gets the app's db, token and logger. */
export interface ImagesDeps {
  storage: ImageStorage;
  links: ImageLinks;
  integrity?: IntegrityCache;
  outputs?: OutputsCache;
  /** For a store with presigned links (S3): stream through this process (default) or redirect (302) to one. */
  serve?: 'stream' | 'redirect';
}

export interface ImagesRouterDeps extends ImagesDeps {
  db: Db;
  adminToken: string;
  logger: Logger;
}

const unavailable = () => new AppError(ErrorCode.NotFound, 'this image is not available', { details: { reason: 'missing_from_storage' } });

/** Reads a generation's outputs and deletion mark; undefined when there is no such generation. */
export function outputsLoader(db: Db): (generationId: string) => Promise<ImageRecord | undefined> {
  return async (generationId) => {
    const { text, values } = generationOutputs(generationId);
    return (await db.executeSql<ImageRecord>(text, values)).rows[0];
  };
}

/**
 * `GET|HEAD /images/:generationId/:index` (the original) and `…/thumb/<size>.webp|512.jpg`, opened by
 * a signed link or the admin token. Files never change once stored, so answers are immutable, with
 * the content's sha256 as ETag; conditional requests and byte ranges follow RFC 9110.
 */
export function imagesRouter(deps: ImagesRouterDeps): Router {
  const router = newRouter();
  const checkToken = bearerTokenCheck(deps.adminToken);
  const integrity = deps.integrity ?? new IntegrityCache();
  const logger = deps.logger.child({ route: 'images' });
  const outputs = deps.outputs ?? new OutputsCache(outputsLoader(deps.db));
  const storage = deps.storage;
  // Reading a whole object back from S3 to hash it would double every first transfer (and defeat a
  // redirect): there the size is checked and the store's own checksums are trusted.
  const contentCheck = storage.kind === 's3' ? 'size' : 'hash';
  const redirect = deps.serve === 'redirect' && storage.presign ? storage.presign.bind(storage) : undefined;

  const serve: RouterMiddleware<{ params: ImageParams }> = async (ctx) => {
    const params = ctx.state.params;
    const access = await authorizeImage(
      { path: imagePath(params.generationId, params.index, params.name), query: ctx.query, authorization: ctx.get('authorization') || undefined },
      deps.links,
      checkToken,
    );
    const { image, opened } = await locate(params);
    try {
      if (redirect) {
        await opened.close();
        await redirectToStore(ctx, redirect, image, opened, access);
        return;
      }
      respond(ctx, image, opened, access);
    } catch (err) {
      await opened.close();
      throw err;
    }
  };

  /** The image and its file, verified; a cached row that names no image or a file now gone is read again first. */
  async function locate(params: ImageParams): Promise<{ image: ResolvedImage; opened: OpenedObject & { sha256: string } }> {
    let row = await outputs.get(params.generationId);
    for (;;) {
      let image: ResolvedImage;
      try {
        image = resolveImage(row.record, params);
      } catch (err) {
        if (!row.cached) throw err;
        row = await outputs.get(params.generationId, { fresh: true });
        continue;
      }
      const opened = await deps.storage.open(image.key);
      if (opened) return { image, opened: await verified(image, opened) };
      if (!row.cached) {
        logger.warn({ key: image.key }, 'stored image is missing from storage');
        throw unavailable();
      }
      row = await outputs.get(params.generationId, { fresh: true });
    }
  }

  async function verified(image: ResolvedImage, opened: OpenedObject): Promise<OpenedObject & { sha256: string }> {
    try {
      const verdict = await integrity.check(opened, image, contentCheck);
      if (verdict.ok) return Object.assign(opened, { sha256: verdict.sha256 });
      const { ok: _ok, firstCheck, ...mismatch } = verdict;
      logger[firstCheck ? 'error' : 'debug']({ key: image.key, ...mismatch }, 'stored image does not match what was recorded; not served');
    } catch (err) {
      await opened.close();
      throw err;
    }
    await opened.close();
    throw unavailable();
  }

  // Public to the token check: a signed link or the token is checked here, on the image asked for.
  router.get('/images/:generationId/:index', publicRoute, validate('params', imageParams), serve);
  router.get('/images/:generationId/:index/thumb/:name', publicRoute, validate('params', imageParams), serve);
  return router;
}
