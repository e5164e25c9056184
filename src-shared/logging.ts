import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths that may carry secrets; pino replaces them before a line is written. */
export const redactPaths = [
  'token',
  '*.token',
  'interactionToken',
  '*.interactionToken',
  'interaction_token',
  '*.interaction_token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'DISCORD_TOKEN',
  'ADMIN_TOKEN',
  'config.DISCORD_TOKEN',
  'config.ADMIN_TOKEN',
];

// Discord bot tokens and webhook/interaction tokens also hide inside URLs and messages.
const secretPatterns: RegExp[] = [
  /\/(webhooks|interactions)\/(\d+)\/[A-Za-z0-9._-]{20,}/g,
  /(Bot|Bearer)\s+[A-Za-z0-9._-]{10,}/g,
];

export function scrubSecrets(text: string): string {
  return secretPatterns.reduce(
    (acc, re) => acc.replace(re, (_m, a: string, b: string) => (b ? `/${a}/${b}/[redacted]` : `${a} [redacted]`)),
    text,
  );
}

export interface LoggerOptions {
  level?: string;
  name?: string;
  destination?: pino.DestinationStream;
}

const knownLevels = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export function createLogger(opts: LoggerOptions = {}): Logger {
  // An unknown level from the environment is reported by config validation, not by a crash here.
  const wanted = opts.level ?? process.env.LOG_LEVEL ?? 'info';
  return pino(
    {
      level: knownLevels.has(wanted) ? wanted : 'info',
      name: opts.name,
      redact: { paths: redactPaths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
      serializers: {
        err: (err: unknown) => {
          const s = pino.stdSerializers.err(err as Error);
          if (s && typeof s.message === 'string') s.message = scrubSecrets(s.message);
          if (s && typeof s.stack === 'string') s.stack = scrubSecrets(s.stack);
          return s;
        },
      },
    },
    opts.destination,
  );
}

/** The root logger of this process; child loggers carry generation/job ids. */
export const logger: Logger = createLogger();
