// Apart from thumbnails.ts so that naming a thumbnail (image-paths.ts) does not load sharp.
export const thumbnailSizes = [256, 512, 1024] as const;
/** Clients that cannot show WebP get one JPEG at this size. */
export const jpegFallbackSize = 512;
