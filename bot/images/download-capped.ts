import { AppError, ErrorCode } from '#shared/errors.ts';

const refusal = (message: string, details: Record<string, unknown> = {}) =>
  new AppError(ErrorCode.Validation, message, { expose: true, details: { option: 'image', ...details } });

export function tooLarge(maxBytes: number): AppError {
  return refusal(`\`image\`: the file is larger than ${formatMb(maxBytes)}. Attach a smaller picture.`, { maxBytes });
}

const formatMb = (bytes: number) => `${Number((bytes / 1024 / 1024).toFixed(1))} MB`;

/**
 * Downloads an attachment, stopping as soon as it passes `maxBytes` (whatever Content-Length or
 * Discord's stated size claim). Network trouble is a refusal the member can act on, not a crash.
 */
export async function downloadCapped(url: string, maxBytes: number, timeoutMs = 20_000): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (err) {
    throw new AppError(ErrorCode.Validation, '`image`: the attachment could not be downloaded from Discord. Please try again.', { expose: true, cause: err, details: { option: 'image' } });
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw refusal('`image`: the attachment could not be downloaded from Discord. Please try again.', { status: res.status });
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body.cancel().catch(() => undefined);
    throw tooLarge(maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError(ErrorCode.Validation, '`image`: the download from Discord broke off. Please try again.', { expose: true, cause: err, details: { option: 'image' } });
  }
  return Buffer.concat(chunks);
}
