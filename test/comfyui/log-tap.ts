import { createLogger, type Logger } from '#shared/logging.ts';

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

/** A logger whose lines tests can inspect and await (instead of sleeping). */
export class LogTap {
  readonly lines: LogLine[] = [];
  readonly logger: Logger;
  #waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  constructor() {
    this.logger = createLogger({
      level: 'debug',
      destination: {
        write: (text: string) => {
          const line = JSON.parse(text) as LogLine;
          this.lines.push(line);
          this.#waiters = this.#waiters.filter((w) => {
            if (!w.match(line)) return true;
            w.resolve(line);
            return false;
          });
        },
      },
    });
  }

  count(msg: string | RegExp): number {
    return this.lines.filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg))).length;
  }

  next(match: (l: LogLine) => boolean, timeoutMs = 5_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('expected log line did not appear')), timeoutMs);
      this.#waiters.push({
        match,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }
}
