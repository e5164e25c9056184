import { Writable } from 'node:stream';
import { createLogger, type Logger } from '#shared/logging.ts';

/** The product logger writing into memory: one string per log line. */
export function captureLogs(level = 'debug'): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, logger: createLogger({ level, destination }) };
}

/**
 * Runs of `bytes` found in `text` in any form a logger could have written them: base64 (each
 * alignment, standard and url-safe), hex, or a JSON list of numbers. Empty when nothing leaked.
 */
export function byteRunsIn(text: string, bytes: Uint8Array, minRun = 24): string[] {
  const buf = Buffer.from(bytes);
  const encodings = [0, 1, 2].flatMap((k) => [buf.subarray(k).toString('base64'), buf.subarray(k).toString('base64url')]);
  encodings.push(buf.toString('hex'), buf.toString('hex').toUpperCase());
  const numbers = `,${[...buf].join(',')},`;
  const found: string[] = [];
  for (const run of text.match(new RegExp(`[A-Za-z0-9+/_-]{${minRun},}`, 'g')) ?? []) {
    // Windows overlap by half, so any encoded run of 1.5 × minRun inside `run` is caught.
    for (let i = 0; i + minRun <= run.length; i += Math.floor(minRun / 2)) {
      const window = run.slice(i, i + minRun);
      if (encodings.some((e) => e.includes(window))) found.push(window);
    }
  }
  for (const run of text.match(/(?:\d{1,3}\s*,\s*){8,}\d{1,3}/g) ?? []) {
    if (numbers.includes(`,${run.replace(/\s/g, '')},`)) found.push(run);
  }
  return found;
}
