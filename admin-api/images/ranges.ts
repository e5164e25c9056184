import { combineRanges, parse } from 'range-parser';

export interface ByteRange {
  start: number;
  end: number;
}

export type RangePlan =
  | { kind: 'full' }
  | { kind: 'partial'; ranges: ByteRange[] }
  | { kind: 'unsatisfiable'; reason: string };

export interface RangeRequest {
  method: string;
  range: string | undefined;
  ifRange: string | undefined;
  size: number;
  /** Our strong validator, quoted: `"…"`. */
  etag: string;
  lastModified: Date;
}

// Many tiny ranges cost more in part headers than they save, and are a known denial-of-service shape.
export const maxRanges = 16;
const maxHeaderLength = 1024;

/**
 * What to send for a Range request (RFC 9110 §14). Range means something only on GET; a range unit
 * other than bytes is ignored; If-Range that does not match sends the whole image. A bytes range
 * that is malformed, outside the image or one of too many is refused (416), never silently widened.
 */
export function planRanges(req: RangeRequest): RangePlan {
  if (req.method !== 'GET' || req.range === undefined) return { kind: 'full' };
  if (req.ifRange !== undefined && !ifRangeMatches(req.ifRange, req.etag, req.lastModified)) return { kind: 'full' };
  const header = req.range;
  const eq = header.indexOf('=');
  if (eq === -1) return { kind: 'unsatisfiable', reason: 'Range must look like bytes=<first>-<last>' };
  if (header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'full' };
  if (header.length > maxHeaderLength) return { kind: 'unsatisfiable', reason: `Range is longer than ${maxHeaderLength} characters` };
  const parsed = parse(req.size, header);
  if (parsed.code & 1) return { kind: 'unsatisfiable', reason: 'Range is malformed (each range is <first>-<last>, <first>- or -<suffix length>)' };
  if (parsed.ranges.length === 0) {
    // A suffix range of an empty image is satisfied by the whole (empty) image.
    return req.size === 0 && parsed.code === 0 ? { kind: 'full' } : { kind: 'unsatisfiable', reason: `no requested range starts inside the image (${req.size} bytes)` };
  }
  const ranges = combineRanges(parsed.ranges).map(({ start, end }) => ({ start, end }));
  if (ranges.length > maxRanges) return { kind: 'unsatisfiable', reason: `more than ${maxRanges} separate ranges` };
  return { kind: 'partial', ranges };
}

/** If-Range (RFC 9110 §13.1.5): an entity tag must match strongly, a date must equal Last-Modified exactly. */
export function ifRangeMatches(value: string, etag: string, lastModified: Date): boolean {
  const v = value.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return v === etag;
  const date = Date.parse(v);
  return !Number.isNaN(date) && Math.floor(date / 1000) === Math.floor(lastModified.getTime() / 1000);
}
