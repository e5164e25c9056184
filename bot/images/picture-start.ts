import { inputImageKey } from '#shared/storage/keys.ts';
import type { BotContext } from '../context.ts';
import { checkImage } from './check-image.ts';
import { downloadCapped, tooLarge } from './download-capped.ts';
import type { StartImage } from './image-input.ts';

/**
 * A member's attached picture as a starting point: refused at once when Discord already says it is
 * too large; otherwise (inside the deferral) downloaded with a byte cap, decoded and checked, and
 * stored as PNG under the member's own folder (named by content, so the same picture is kept once).
 */
export function startFromAttachment(
  attachment: { url: string; size: number },
  userId: string,
  strength: number,
  ctx: Pick<BotContext, 'images' | 'imageInput'>,
): () => Promise<StartImage> {
  const { maxBytes, maxPixels } = ctx.imageInput;
  if (attachment.size > maxBytes) throw tooLarge(maxBytes);
  return async () => {
    const picture = await checkImage(await downloadCapped(attachment.url, maxBytes), maxPixels);
    const key = inputImageKey(userId, picture.sha256);
    if (!(await ctx.images.storage.stat(key))) await ctx.images.storage.put(key, picture.png);
    return { key, template: 'img2img', denoise: strength, width: picture.width, height: picture.height };
  };
}
