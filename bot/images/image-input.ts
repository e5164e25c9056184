/** How the bot takes pictures to start from (configuration: VARY_STRENGTH, UPSCALE_STRENGTH, INIT_IMAGE_MAX_*). */
export interface ImageInputSettings {
  /** Largest accepted download, bytes. */
  maxBytes: number;
  /** Largest accepted picture, width × height. */
  maxPixels: number;
  /** 🔀 vary's denoise. */
  varyStrength: number;
  /** ⬆ upscale's second-pass denoise. */
  upscaleStrength: number;
}

export const defaultImageInput: ImageInputSettings = { maxBytes: 10 * 1024 * 1024, maxPixels: 16_000_000, varyStrength: 0.6, upscaleStrength: 0.35 };

export function imageInputFrom(config: { VARY_STRENGTH: number; UPSCALE_STRENGTH: number; INIT_IMAGE_MAX_MB: number; INIT_IMAGE_MAX_MEGAPIXELS: number }): ImageInputSettings {
  return {
    maxBytes: Math.floor(config.INIT_IMAGE_MAX_MB * 1024 * 1024),
    maxPixels: Math.floor(config.INIT_IMAGE_MAX_MEGAPIXELS * 1_000_000),
    varyStrength: config.VARY_STRENGTH,
    upscaleStrength: config.UPSCALE_STRENGTH,
  };
}

/** What a generation starts from: a stored picture, how to use it and how strongly. */
export interface StartImage {
  key: string;
  template: 'img2img' | 'upscale';
  denoise: number;
  width: number;
  height: number;
}
