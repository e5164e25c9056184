import { DiscordErrors } from './errors.ts';
import type { IncomingFile } from './uploads.ts';

export interface ParsedBody {
  /** JSON body, or `payload_json` (plus any plain form fields) of a multipart body; undefined when empty. */
  json: unknown;
  files: IncomingFile[];
}

const FILE_FIELD = /^files\[(\d+)\]$/;

function sniffContentType(bytes: Uint8Array, fallback: string): string {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46) return 'image/gif';
  const ascii = Buffer.from(bytes.subarray(0, 12)).toString('latin1');
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return 'image/webp';
  return fallback || 'application/octet-stream';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw DiscordErrors.badJson();
  }
}

/** Parses JSON or multipart (`payload_json` + `files[n]`) with the platform's own multipart parser. */
export async function parseBody(contentType: string, raw: Buffer, maxFileBytes: number): Promise<ParsedBody> {
  if (raw.byteLength === 0) return { json: undefined, files: [] };
  if (contentType.includes('multipart/form-data')) {
    const form = await new Request('http://sim.local/', { method: 'POST', headers: { 'content-type': contentType }, body: raw }).formData();
    const fields: Record<string, unknown> = {};
    let json: unknown;
    const files: IncomingFile[] = [];
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') {
        if (name === 'payload_json') json = parseJson(value);
        else fields[name] = value;
        continue;
      }
      const bytes = new Uint8Array(await value.arrayBuffer());
      if (bytes.byteLength > maxFileBytes) throw DiscordErrors.tooLarge();
      const index = Number(FILE_FIELD.exec(name)?.[1] ?? files.length);
      files.push({ field: name, index, filename: value.name || `file${index}`, contentType: sniffContentType(bytes, value.type), bytes });
    }
    const body = json === undefined ? (Object.keys(fields).length ? fields : undefined) : json;
    return { json: body, files };
  }
  return { json: parseJson(raw.toString('utf8')), files: [] };
}
