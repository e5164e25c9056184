import { messageLimits } from '#shared/render/limits.ts';

/** Room left in a request for its JSON part and multipart framing. */
const requestOverheadBytes = 1024 * 1024;

/** The upload cap an interaction states (`attachment_size_limit`), or null when it states none usable. */
export function statedUploadCap(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : null;
}

/**
 * The largest single file a message may carry: what Discord stated on the interaction (its default
 * when it stated nothing), and never more than fits in one request beside the message's JSON.
 */
export function uploadCap(stated: number | null | undefined): number {
  return Math.min(stated ?? messageLimits.fileBytes, messageLimits.requestBytes - requestOverheadBytes);
}
