/** Formats that hold no code; everything else (pickle-based .ckpt/.pt/.pth/.bin/.pkl, unknown) is unsafe. */
const safeExtensions = ['.safetensors', '.sft'] as const;

/** Whether loading the file could run code (pickle-based or unknown format). */
export function isUnsafeModelFile(fileName: string): boolean {
  const lower = fileName.toLowerCase();
  return !safeExtensions.some((ext) => lower.endsWith(ext));
}

/**
 * Whether a loader combo entry names a file. VAELoader also offers `taesd`, `taesdxl`,
 * `pixel_space`…, which are not files and have no extension.
 */
export function looksLikeModelFile(name: string): boolean {
  const base = name.split(/[\\/]/).at(-1) ?? '';
  return /\.[A-Za-z0-9]+$/.test(base) && !base.startsWith('.');
}

/** The column limit of model.display_name. */
const maxDisplayNameLength = 200;

/** A readable default display name: the base name without folder or extension, within the column. */
export function displayNameFor(fileName: string): string {
  const base = fileName.split(/[\\/]/).at(-1) ?? fileName;
  return firstCodePoints(base.replace(/\.[^.]+$/, ''), maxDisplayNameLength) || firstCodePoints(fileName, maxDisplayNameLength);
}

/** Cuts by code point, not UTF-16 unit, so a surrogate pair is never split into an invalid half. */
function firstCodePoints(text: string, max: number): string {
  return text.length <= max ? text : Array.from(text).slice(0, max).join('');
}
