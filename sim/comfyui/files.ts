/** Directory rules of `folder_paths`: annotated names, type → directory, save-path counters. */
import { readdirSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';

export interface SimDirs {
  output: string;
  input: string;
  temp: string;
}

export type DirType = keyof SimDirs;

const ANNOTATION = /^(.*) \[(output|input|temp)\]$/;

/** `annotated_filepath`: "x.png [output]" → { name: "x.png", type: "output" }. */
export function annotated(name: string): { name: string; type: DirType | undefined } {
  const m = ANNOTATION.exec(name);
  return m ? { name: m[1]!, type: m[2] as DirType } : { name, type: undefined };
}

/** `os.path.join(base, name)` (POSIX): no normalizing; an absolute name replaces the base. */
export function pyJoin(base: string, name: string): string {
  if (name.startsWith('/')) return name;
  return base.endsWith('/') ? base + name : `${base}/${name}`;
}

export function dirFor(dirs: SimDirs, type: string): string | undefined {
  return type === 'output' || type === 'input' || type === 'temp' ? dirs[type] : undefined;
}

/** Is `child` inside (or equal to) `base`? (`os.path.commonpath((base, child)) == base`) */
export function inside(base: string, child: string): boolean {
  const rel = path.relative(base, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

const IMAGE_EXT = /\.(png|jpe?g|webp|gif|bmp|tiff?|avif|ico)$/i;

/** LoadImage's combo: sorted top-level image files of the input directory. */
export function inputImages(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile() && IMAGE_EXT.test(e.name)).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

function strftime(prefix: string, width: number, height: number): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return prefix
    .replaceAll('%width%', String(width)).replaceAll('%height%', String(height))
    .replaceAll('%year%', String(now.getFullYear())).replaceAll('%month%', pad(now.getMonth() + 1)).replaceAll('%day%', pad(now.getDate()))
    .replaceAll('%hour%', pad(now.getHours())).replaceAll('%minute%', pad(now.getMinutes())).replaceAll('%second%', pad(now.getSeconds()));
}

export interface SavePath {
  folder: string;
  filename: string;
  counter: number;
  subfolder: string;
}

/** `folder_paths.get_save_image_path`. Throws (message as ComfyUI's) when the prefix escapes `outputDir`. */
export async function saveImagePath(prefixIn: string, outputDir: string, width: number, height: number): Promise<SavePath> {
  const prefix = prefixIn.includes('%') ? strftime(prefixIn, width, height) : prefixIn;
  const normalized = path.posix.normalize(prefix);
  const subfolder = path.posix.dirname(normalized) === '.' ? '' : path.posix.dirname(normalized);
  const filename = path.posix.basename(normalized);
  const folder = path.resolve(outputDir, subfolder);
  if (!inside(outputDir, folder)) {
    throw new Error(`**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: ${folder}\n         output_dir: ${outputDir}`);
  }
  const prefixLen = path.posix.basename(prefix).length;
  let counter = 1;
  try {
    let max = -1;
    for (const name of await readdir(folder)) {
      if (name.slice(0, prefixLen + 1) !== `${filename}_`) continue;
      const digits = /^\d+$/.test(name.slice(prefixLen + 1).split('_')[0]!) ? Number(name.slice(prefixLen + 1).split('_')[0]) : 0;
      max = Math.max(max, digits);
    }
    if (max >= 0) counter = max + 1;
  } catch {
    await mkdir(folder, { recursive: true });
  }
  return { folder, filename, counter, subfolder };
}
