import { createHash, timingSafeEqual } from 'node:crypto';

export type BearerCheck = 'ok' | 'missing' | 'invalid';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Checks an `Authorization` header against the admin token. Both sides are hashed first so the
 * comparison is constant-time and never reveals the token's length.
 */
export function bearerTokenCheck(token: string): (authorization: string | undefined) => BearerCheck {
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return authorization ? 'invalid' : 'missing';
    return timingSafeEqual(digest(match[1]!), expected) ? 'ok' : 'invalid';
  };
}
