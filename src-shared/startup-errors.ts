// The one place that turns a start-up failure a newcomer can fix (no database, an unmigrated one,
// PostgreSQL or a service down, a port taken) into one line naming the problem and the fix.
// Anything not recognised here keeps its full log entry.
import type { Logger } from 'pino';

/** What this process was told to use, so a failing address can be named by its setting. */
export interface StartupContext {
  databaseUrl?: string;
  comfyUrls?: string[];
  discordApiBase?: string;
  /** Setting name → port this process listens on, e.g. `{ ADMIN_PORT: 8787 }`. */
  listenPorts?: Record<string, number>;
}

interface ErrorFacts {
  code?: string;
  message: string;
  address?: string;
  port?: number;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

/** One line for a failure with a known fix, or null. Looks through `cause` chains and AggregateErrors. */
export function describeStartupError(err: unknown, ctx: StartupContext): string | null {
  for (const facts of flatten(err)) {
    const line = describeOne(facts, ctx);
    if (line) return line;
  }
  return null;
}

function describeOne(e: ErrorFacts, ctx: StartupContext): string | null {
  const db = ctx.databaseUrl ? safeUrl(ctx.databaseUrl) : null;
  switch (e.code) {
    case 'GN_STORAGE_UNAVAILABLE':
      return e.message;
    case '3D000':
      return `database ${db ? `"${db.database}" ` : ''}does not exist${db ? ` on ${db.hostPort}` : ''}: run \`npm run migrate\` (it creates the database and its tables), or fix DATABASE_URL`;
    case '42P01':
      return `the database${db ? ` "${db.database}"` : ''} is not migrated (${e.message}): run \`npm run migrate\``;
    case '28P01':
    case '28000':
      return `PostgreSQL${db ? ` at ${db.hostPort}` : ''} refused the login (${e.message}): put the right user and password in DATABASE_URL`;
    case 'EADDRINUSE': {
      const setting = Object.entries(ctx.listenPorts ?? {}).find(([, port]) => port === e.port)?.[0];
      const where = `${e.address ?? ''}${e.port !== undefined ? `:${e.port}` : ''}`;
      return `port ${where} is already in use${setting ? ` (${setting})` : ''}: stop the process using it (\`ss -ltnp | grep ${e.port ?? ''}\`) or choose another port${setting ? ` with ${setting}` : ''}`;
    }
  }
  if (!e.code || !UNREACHABLE.has(e.code)) return null;
  const why = e.code === 'ECONNREFUSED' ? 'connection refused' : e.code;
  if (db && matches(e, db.host, db.port)) {
    return `PostgreSQL is not reachable at ${db.hostPort} (${why}): start it (e.g. \`pg_ctlcluster --skip-systemctl-redirect 15 main start\`) or fix DATABASE_URL`;
  }
  const comfy = ctx.comfyUrls?.find((u) => matchesUrl(e, u));
  if (comfy) return `ComfyUI at ${comfy} does not answer (${why}): start it (or \`npm run sim:comfyui\`) or fix COMFYUI_URLS`;
  if (ctx.discordApiBase && matchesUrl(e, ctx.discordApiBase)) {
    return `the Discord API at ${ctx.discordApiBase} does not answer (${why}): check the network, or start \`npm run sim:discord\` / fix DISCORD_API_BASE`;
  }
  return null;
}

/** The addresses a process was configured with, from its (role's) config. */
export function startupContextFrom(config: { DATABASE_URL?: string; COMFYUI_URLS?: string[]; DISCORD_API_BASE?: string; ADMIN_PORT?: number }): StartupContext {
  return {
    databaseUrl: config.DATABASE_URL,
    comfyUrls: config.COMFYUI_URLS,
    discordApiBase: config.DISCORD_API_BASE,
    listenPorts: config.ADMIN_PORT === undefined ? {} : { ADMIN_PORT: config.ADMIN_PORT },
  };
}

/**
 * Installed first by every entry point, so an error that escapes to the top never reaches Node's own
 * printer (which dumps every property: request URLs, bodies). A recognised start-up failure prints
 * its one line and exits 1; anything else is logged as fatal through the sanitiser. Returns the
 * disarm function: once a process is up, `guardProcess` (shutdown.ts) takes over.
 */
export function guardStartup(logger: Logger, ctx: StartupContext): () => void {
  const crash = (err: unknown, origin: string) => {
    const line = describeStartupError(err, ctx);
    if (line) process.stderr.write(`${logger.bindings().name ?? 'genonaut'}: ${line}\n`);
    else logger.fatal({ err, origin }, 'uncaught error; exiting');
    process.exit(1);
  };
  process.on('uncaughtException', crash);
  return () => void process.off('uncaughtException', crash);
}

/** For an entry point's own `catch`: the one line and exit 1 when recognised, else false (log it yourself). */
export function exitIfStartupProblem(err: unknown, ctx: StartupContext, name: string): boolean {
  const line = describeStartupError(err, ctx);
  if (!line) return false;
  process.stderr.write(`${name}: ${line}\n`);
  process.exit(1);
}

function* flatten(err: unknown, depth = 0): Generator<ErrorFacts> {
  if (!err || typeof err !== 'object' || depth > 5) return;
  const e = err as { code?: unknown; message?: unknown; address?: unknown; port?: unknown; cause?: unknown; errors?: unknown };
  yield {
    code: typeof e.code === 'string' ? e.code : undefined,
    message: typeof e.message === 'string' ? e.message : String(err),
    address: typeof e.address === 'string' ? e.address : undefined,
    port: typeof e.port === 'number' ? e.port : undefined,
  };
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* flatten(inner, depth + 1);
  if (e.cause) yield* flatten(e.cause, depth + 1);
}

function safeUrl(raw: string): { host: string; port: number; hostPort: string; database: string } | null {
  try {
    const url = new URL(raw);
    const port = Number(url.port || 5432);
    const host = url.hostname || 'localhost';
    return { host, port, hostPort: `${host}:${port}`, database: decodeURIComponent(url.pathname.slice(1)) || 'postgres' };
  } catch {
    return null;
  }
}

function matchesUrl(e: ErrorFacts, raw: string): boolean {
  try {
    const url = new URL(raw);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    return matches(e, url.hostname.replace(/^\[|\]$/g, ''), port);
  } catch {
    return false;
  }
}

/** An error without an address (DNS failures) matches on the port alone when it has one, else not at all. */
function matches(e: ErrorFacts, host: string, port: number): boolean {
  if (e.port !== undefined && e.port !== port) return false;
  if (e.port === undefined) return e.message.includes(host);
  if (!e.address || e.address === host) return true;
  if (isLoopback(e.address) && isLoopback(host)) return true;
  return !isIpLiteral(host); // a host name resolved to this address
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
