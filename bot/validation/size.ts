export interface Size {
  width: number;
  height: number;
}

export const sizeLimits = { min: 256, max: 2048, multipleOf: 8, maxPixels: 4 * 1024 * 1024 } as const;

/** Offered by autocomplete; any other `WxH` within `sizeLimits` is accepted too. */
export const sizePresets: readonly { label: string; value: string }[] = [
  { label: 'Square 1024×1024', value: '1024x1024' },
  { label: 'Portrait 832×1216', value: '832x1216' },
  { label: 'Landscape 1216×832', value: '1216x832' },
  { label: 'Portrait 896×1152', value: '896x1152' },
  { label: 'Landscape 1152×896', value: '1152x896' },
  { label: 'Wide 1344×768', value: '1344x768' },
  { label: 'Tall 768×1344', value: '768x1344' },
  { label: 'Square 768×768', value: '768x768' },
  { label: 'Square 512×512 (SD 1.5)', value: '512x512' },
  { label: 'Portrait 512×768 (SD 1.5)', value: '512x768' },
  { label: 'Landscape 768×512 (SD 1.5)', value: '768x512' },
];

export const sizeAllowed = `WIDTHxHEIGHT, each a multiple of ${sizeLimits.multipleOf} from ${sizeLimits.min} to ${sizeLimits.max}, at most 4 megapixels (e.g. 1024x1024)`;

/** Parses `1024x768` (also `1024×768`, `1024 x 768`); null when it is not a valid size. Pure. */
export function parseSize(text: string): Size | null {
  const match = /^\s*(\d{1,5})\s*[x×*]\s*(\d{1,5})\s*$/i.exec(text);
  if (!match) return null;
  const width = Number(match[1]);
  const height = Number(match[2]);
  const inRange = (n: number) => n >= sizeLimits.min && n <= sizeLimits.max && n % sizeLimits.multipleOf === 0;
  if (!inRange(width) || !inRange(height) || width * height > sizeLimits.maxPixels) return null;
  return { width, height };
}
