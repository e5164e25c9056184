import { AppError, ErrorCode } from '#shared/errors.ts';
import type { ImageLinks } from '#shared/images/image-links.ts';
import type { BearerCheck } from '../bearer-token.ts';

export type ImageAccess = { by: 'token' } | { by: 'link'; expires: number };

export interface AccessRequest {
  /** The canonical image path, the one a link signs. */
  path: string;
  query: { expires?: unknown; sig?: unknown };
  authorization: string | undefined;
}

/** An image opens with a signed, unexpired link for its own path, or with the admin token. */
export async function authorizeImage(req: AccessRequest, links: ImageLinks, checkToken: (authorization: string | undefined) => BearerCheck): Promise<ImageAccess> {
  const token = checkToken(req.authorization);
  if (token === 'ok') return { by: 'token' };
  const link = await links.verify(req.path, req.query);
  if (link.ok) return { by: 'link', expires: link.expires };
  switch (link.reason) {
    case 'expired':
      throw new AppError(ErrorCode.LinkExpired, 'this image link has expired; links in Discord messages work for a limited time', {
        details: { expiredAt: new Date(link.expires! * 1000).toISOString() },
      });
    case 'malformed':
    case 'invalid':
      throw new AppError(ErrorCode.LinkInvalid, 'this image link is not valid (altered, or signed with another key)');
    case 'missing':
      throw new AppError(
        ErrorCode.Unauthorized,
        token === 'invalid' ? 'invalid bearer token' : 'this image needs a signed link (?expires=…&sig=…) or Authorization: Bearer <ADMIN_TOKEN>',
      );
  }
}
