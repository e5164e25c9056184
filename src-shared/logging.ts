import { pino, type Logger } from 'pino';
import { deferredChild } from './deferred-child-logger.ts';
import { sanitize, sanitizeFields } from './redaction/sanitize.ts';
import { scrubText } from './redaction/scrub-text.ts';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  name?: string;
  destination?: pino.DestinationStream;
}

const knownLevels = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * Every line passes through one sanitiser (see redaction/sanitize.ts): the merge object in
 * `formatters.log`, child bindings in `child`, message strings and format arguments in
 * `logMethod`. pino calls none of them for a level that is off: disabled lines cost nothing, and
 * a child that writes no line at an enabled level is never made (deferred-child-logger.ts).
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  // An unknown level from the environment is reported by config validation, not by a crash here.
  const wanted = opts.level ?? process.env.LOG_LEVEL ?? 'info';
  const root = pino(
    {
      level: knownLevels.has(wanted) ? wanted : 'info',
      name: opts.name,
      formatters: {
        level: (label) => ({ level: label }),
        log: sanitizeFields,
      },
      hooks: {
        logMethod(args, method) {
          method.apply(this, sanitizeArgs(args) as Parameters<typeof method>);
        },
      },
      // formatters.log has already turned errors into plain, sanitised objects; pino's default
      // `err` serialiser would re-read them as errors and lose their type.
      serializers: { err: (value: unknown) => value },
    },
    opts.destination,
  );
  // pino applies formatters.bindings to the root only; children (and theirs, which inherit this
  // method) get their bindings sanitised here, once, when the pino child is made: for a child
  // without options that is deferred until it first writes a line (see deferred-child-logger.ts).
  const child = root.child;
  const makeChild = (parent: Logger, bindings: pino.Bindings): Logger => Reflect.apply(child, parent, [sanitizeFields(bindings)]) as Logger;
  root.child = function (this: Logger, bindings, options) {
    return options == null ? deferredChild(this, bindings, makeChild) : child.call(this, sanitizeFields(bindings), options);
  } as typeof child;
  return root;
}

function sanitizeArgs(args: unknown[]): unknown[] {
  const [first, ...rest] = args;
  const out = args.map((a, i) => (typeof a === 'string' ? scrubText(a) : i === 0 || a === null || typeof a !== 'object' ? a : sanitize(a)));
  // With no message, pino uses the error's own message: supply it scrubbed instead.
  const fields = first as { err?: unknown; msg?: unknown } | null;
  const err = first instanceof Error ? first : typeof first === 'object' && fields?.msg === undefined ? fields?.err : undefined;
  if (err instanceof Error && rest.length === 0) out.push(scrubText(err.message));
  return out;
}

/** The root logger of this process; child loggers carry generation/job ids. */
export const logger: Logger = createLogger();
