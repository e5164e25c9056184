import { createHmac, timingSafeEqual } from 'node:crypto';

/** The query parameters a signed image link carries. */
export interface LinkSignature {
  /** Unix seconds after which the link stops working. */
  expires: number;
  /** base64url HMAC-SHA256 of `path` and `expires`. */
  sig: string;
}

export type SignatureCheck =
  | { ok: true; expires: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'invalid'; expires?: number };

const sigPattern = /^[A-Za-z0-9_-]{43}$/;
const expiresPattern = /^[1-9]\d{0,11}$/;

export function signaturePayload(path: string, expires: number): string {
  return `${path}\n${expires}`;
}

export function signPath(path: string, expires: number, key: Buffer): LinkSignature {
  return { expires, sig: createHmac('sha256', key).update(signaturePayload(path, expires)).digest('base64url') };
}

export function signedUrl(baseUrl: string, path: string, signature: LinkSignature): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}?expires=${signature.expires}&sig=${signature.sig}`;
}

/**
 * Checks `expires` and `sig` from a request's query against the path that was asked for. The
 * signature is compared as its canonical base64url text in constant time: comparing decoded bytes
 * would let a second spelling of the last character (its two unused bits) pass as well.
 */
export function verifySignature(path: string, query: { expires?: unknown; sig?: unknown }, key: Buffer, nowSeconds: number): SignatureCheck {
  const { expires, sig } = query;
  if (expires === undefined && sig === undefined) return { ok: false, reason: 'missing' };
  if (typeof expires !== 'string' || typeof sig !== 'string' || !expiresPattern.test(expires) || !sigPattern.test(sig)) {
    return { ok: false, reason: 'malformed' };
  }
  const at = Number(expires);
  const expected = Buffer.from(signPath(path, at, key).sig, 'ascii');
  if (!timingSafeEqual(expected, Buffer.from(sig, 'ascii'))) return { ok: false, reason: 'invalid' };
  // Only a genuine signature learns that it expired: a forged one is just invalid.
  if (at <= nowSeconds) return { ok: false, reason: 'expired', expires: at };
  return { ok: true, expires: at };
}
