import { sizeLimits, type Size } from './size.ts';

const clampSide = (n: number) => Math.min(sizeLimits.max, Math.max(sizeLimits.min, Math.floor(n / sizeLimits.multipleOf) * sizeLimits.multipleOf));

/**
 * The size to generate at from a picture of `width`×`height`: its shape, scaled into /imagine's
 * limits (each side 256–2048 in steps of 8, at most 4 megapixels). Extreme shapes are clamped;
 * the workflow crops the picture to the result's shape from the centre. Pure.
 */
export function sizeForPicture(width: number, height: number): Size {
  let scale = Math.min(1, Math.sqrt(sizeLimits.maxPixels / (width * height)), sizeLimits.max / width, sizeLimits.max / height);
  scale = Math.max(scale, sizeLimits.min / width, sizeLimits.min / height);
  let w = clampSide(width * scale);
  let h = clampSide(height * scale);
  while (w * h > sizeLimits.maxPixels) {
    if (w >= h) w -= sizeLimits.multipleOf;
    else h -= sizeLimits.multipleOf;
  }
  return { width: w, height: h };
}

/** ⬆ upscale's target: twice the size, or as much larger as the limits allow; null when it cannot grow. Pure. */
export function upscaledSize(width: number, height: number): Size | null {
  const factor = Math.min(2, Math.sqrt(sizeLimits.maxPixels / (width * height)), sizeLimits.max / width, sizeLimits.max / height);
  const w = Math.floor((width * factor) / sizeLimits.multipleOf) * sizeLimits.multipleOf;
  const h = Math.floor((height * factor) / sizeLimits.multipleOf) * sizeLimits.multipleOf;
  if (w <= width && h <= height) return null;
  return { width: Math.max(w, width), height: Math.max(h, height) };
}
