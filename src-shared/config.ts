import { existsSync } from 'node:fs';
import { z } from 'zod';
import { authorizationSecrets } from './redaction/authorization.ts';
import { registerSecrets, secretKey } from './redaction/scrub-text.ts';

const url = (what: string) => z.url({ error: `expected ${what}` });
const urlList = (what: string) =>
  z
    .string()
    .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean))
    .pipe(z.array(url(what)).min(1, { error: `expected ${what}` }));
const cap = (what: string, fallback: number) =>
  z.coerce
    .number({ error: `expected a whole number of ${what} (0 = no cap)` })
    .int({ error: `expected a whole number of ${what} (0 = no cap)` })
    .min(0, { error: `expected a whole number of ${what} (0 = no cap)` })
    .max(2_147_483_647, { error: `expected at most 2147483647 ${what} (0 = no cap)` })
    .default(fallback);
// JSON object: ComfyUI base URL → Authorization header value its reverse proxy wants.
const proxyAuthorizations = z
  .string()
  .transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected a JSON object of base URL → header value, e.g. {"https://gpu1/comfy":"Bearer …"}' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(
      url('base URLs as keys'),
      z.string().min(1, { error: 'expected a non-empty header value' }).regex(/^[^\r\n]*$/, { error: 'expected a header value on one line' }),
      { error: 'expected a JSON object of base URL → header value, e.g. {"https://gpu1/comfy":"Bearer …"}' },
    ),
  );
const metricsPort = (fallback: number) =>
  z.coerce
    .number({ error: 'expected a TCP port number (0 = off)' })
    .int({ error: 'expected a whole port number (0 = off)' })
    .min(0, { error: 'expected a port between 0 (off) and 65535' })
    .max(65535, { error: 'expected a port between 0 (off) and 65535' })
    .default(fallback);
const strength = (fallback: number) =>
  z.coerce
    .number({ error: 'expected a strength from 0.05 to 1' })
    .min(0.05, { error: 'expected a strength from 0.05 to 1' })
    .max(1, { error: 'expected a strength from 0.05 to 1' })
    .default(fallback);

const snowflake = z.string().regex(/^\d{17,20}$/, { error: 'expected a Discord snowflake id (17–20 digits)' });

/** Every environment key Genonaut reads. Each role validates only the keys it needs. */
export const configSchema = z.object({
  DATABASE_URL: z
    .string({ error: 'required: a postgres:// connection URL' })
    .regex(/^postgres(ql)?:\/\//, { error: 'expected a postgres:// or postgresql:// connection URL' }),
  DISCORD_TOKEN: z.string({ error: 'required: the bot token from the Discord developer portal' }).min(10, {
    error: 'expected a bot token (at least 10 characters)',
  }),
  DISCORD_APPLICATION_ID: snowflake,
  DISCORD_API_BASE: url('an http(s) URL of the Discord REST API, e.g. https://discord.com/api').default(
    'https://discord.com/api',
  ),
  DISCORD_DEV_GUILD_ID: snowflake.optional(),
  COMFYUI_URLS: urlList('a comma-separated list of ComfyUI base URLs').default(['http://127.0.0.1:8188']),
  COMFYUI_AUTHORIZATIONS: proxyAuthorizations.default({}),
  STORAGE_BACKEND: z.enum(['local', 's3'], { error: 'expected local or s3' }).default('local'),
  STORAGE_DIR: z.string().min(1).default('./data'),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'expected an S3 bucket name (3–63 lower-case letters, digits, dots, hyphens)' })
    .optional(),
  S3_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9_.-]+\/)*[A-Za-z0-9_.-]+\/?$/, { error: 'expected a key prefix of safe path segments, e.g. genonaut/' })
    .refine((p) => p.split('/').every((seg) => seg !== '.' && seg !== '..'), { error: 'expected a key prefix without . or .. segments' })
    .optional(),
  S3_ENDPOINT: url('the http(s) URL of an S3-compatible endpoint (empty = AWS)').optional(),
  S3_REGION: z.string().regex(/^[a-z0-9-]+$/, { error: 'expected a region name such as us-east-1' }).optional(),
  S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .transform((v) => v === 'true')
    .optional(),
  S3_SERVE: z.enum(['stream', 'redirect'], { error: 'expected stream or redirect' }).default('stream'),
  PUBLIC_BASE_URL: url('the public http(s) base URL of the admin API').default('http://127.0.0.1:8787'),
  ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
  ADMIN_PORT: z.coerce
    .number({ error: 'expected a TCP port number' })
    .int({ error: 'expected a whole port number' })
    .min(1, { error: 'expected a port between 1 and 65535' })
    .max(65535, { error: 'expected a port between 1 and 65535' })
    .default(8787),
  // Only these browser origins may call the admin API (comma-separated); empty = CORS off, no Access-Control-* headers.
  ADMIN_CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.url({ protocol: /^https?$/, error: 'expected http(s) origins, comma-separated' }).refine((o) => new URL(o).origin === o, { error: 'expected an origin (scheme://host[:port], no path)' }))),
  // The bot's and the scheduler's own /metrics, /healthz, /readyz listeners; port 0 = no listener.
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  BOT_METRICS_PORT: metricsPort(9464),
  SCHEDULER_METRICS_PORT: metricsPort(9465),
  // Generate workers per scheduler process (each runs one generation at a time); 0 = as many as the farm has slots.
  SCHEDULER_GENERATE_CONCURRENCY: z.coerce
    .number({ error: 'expected a whole number of generate workers (0 = one per farm slot)' })
    .int({ error: 'expected a whole number of generate workers (0 = one per farm slot)' })
    .min(0, { error: 'expected a whole number of generate workers (0 = one per farm slot)' })
    .max(10_000, { error: 'expected at most 10000 generate workers' })
    .default(0),
  ADMIN_TOKEN: z.string({ error: 'required: a bearer token of at least 24 characters' }).min(24, {
    error: 'expected a bearer token of at least 24 characters',
  }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RETENTION_DAYS: z.coerce
    .number({ error: 'expected a number of days (0 = keep forever)' })
    .min(0, { error: 'expected a number of days (0 = keep forever)' })
    .default(30),
  GENERATION_ROW_RETENTION_DAYS: z.coerce
    .number({ error: 'expected a number of days (0 = keep forever)' })
    .min(0, { error: 'expected a number of days (0 = keep forever)' })
    .default(0),
  STORAGE_MAX_GB: z.coerce
    .number({ error: 'expected a size in GB (0 = no cap)' })
    .min(0, { error: 'expected a size in GB (0 = no cap)' })
    .default(0),
  GENERATION_TIMEOUT_SECONDS: z.coerce
    .number({ error: 'expected a number of seconds' })
    .int({ error: 'expected a whole number of seconds' })
    .min(1, { error: 'expected at least 1 second' })
    .default(600),
  INSTANCE_GRACE_SECONDS: z.coerce
    .number({ error: 'expected a number of seconds' })
    .min(1, { error: 'expected at least 1 second' })
    .default(20),
  STORAGE_RETRY_SECONDS: z.coerce
    .number({ error: 'expected a number of seconds' })
    .min(0, { error: 'expected a number of seconds (0 = do not retry)' })
    .default(600),
  IMAGE_URL_SECRET: z
    .string()
    .min(32, { error: 'expected at least 32 characters (or leave it empty to keep a generated key in the database)' })
    .optional(),
  IMAGE_URL_TTL_SECONDS: z.coerce
    .number({ error: 'expected a number of seconds' })
    .int({ error: 'expected a whole number of seconds' })
    .min(60, { error: 'expected at least 60 seconds' })
    .max(366 * 86_400, { error: 'expected at most a year (31622400 seconds)' })
    .default(7 * 86_400),
  MODELS_ENABLE_NEW: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .default('true')
    .transform((v) => v === 'true'),
  BOT_SHARDS: z.coerce
    .number({ error: 'expected a number of shards' })
    .int({ error: 'expected a whole number of shards' })
    .min(1, { error: 'expected at least 1 shard' })
    .max(1_000, { error: 'expected at most 1000 shards' })
    .default(1),
  STARTUP_DISCOVERY_WAIT_SECONDS: z.coerce
    .number({ error: 'expected a number of seconds (0 = do not wait)' })
    .min(0, { error: 'expected a number of seconds (0 = do not wait)' })
    .default(20),
  // Image to image (🔀 vary, ⬆ upscale, /imagine image:): strengths are ComfyUI's denoise.
  VARY_STRENGTH: strength(0.6),
  UPSCALE_STRENGTH: strength(0.35),
  INIT_IMAGE_MAX_MB: z.coerce
    .number({ error: 'expected a size in MB' })
    .gt(0, { error: 'expected a size in MB above 0' })
    .max(100, { error: 'expected at most 100 MB (ComfyUI\'s default upload cap)' })
    .default(10),
  INIT_IMAGE_MAX_MEGAPIXELS: z.coerce
    .number({ error: 'expected a number of megapixels' })
    .gt(0, { error: 'expected a number of megapixels above 0' })
    .max(178, { error: 'expected at most 178 megapixels (PIL refuses larger pictures as decompression bombs)' })
    .default(16),
  // Limits when no policy row says otherwise (src-shared/limits/); 0 = no cap.
  LIMIT_IMAGES_PER_MINUTE: cap('images', 10),
  LIMIT_IMAGES_PER_HOUR: cap('images', 100),
  LIMIT_IMAGES_PER_DAY: cap('images', 400),
  LIMIT_MAX_ACTIVE: cap('requests', 4),
  LIMIT_MAX_BATCH: cap('images', 4),
  LIMIT_MAX_STEPS: cap('steps', 0),
  LIMIT_MAX_PIXELS: cap('pixels', 0),
  QUEUE_MAX_WAITING: cap('requests', 0),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigKey = keyof Config;

const common = ['DATABASE_URL', 'LOG_LEVEL'] as const satisfies readonly ConfigKey[];
const discord = ['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID', 'DISCORD_API_BASE'] as const satisfies readonly ConfigKey[];
const limits = [
  'LIMIT_IMAGES_PER_MINUTE',
  'LIMIT_IMAGES_PER_HOUR',
  'LIMIT_IMAGES_PER_DAY',
  'LIMIT_MAX_ACTIVE',
  'LIMIT_MAX_BATCH',
  'LIMIT_MAX_STEPS',
  'LIMIT_MAX_PIXELS',
  'QUEUE_MAX_WAITING',
] as const satisfies readonly ConfigKey[];
/** Where images are stored: every role that writes or reads them must agree. */
const storage = ['STORAGE_BACKEND', 'STORAGE_DIR', 'S3_BUCKET', 'S3_PREFIX', 'S3_ENDPOINT', 'S3_REGION', 'S3_FORCE_PATH_STYLE'] as const satisfies readonly ConfigKey[];
/** Who signs image links (scheduler, bot) and who checks them (admin API) must agree on all of these. */
const imageLinks = [...storage, 'PUBLIC_BASE_URL', 'IMAGE_URL_SECRET', 'IMAGE_URL_TTL_SECONDS'] as const satisfies readonly ConfigKey[];
// The bot reads stored images and signs links for ◀ ▶ on results.
const imageInput = ['VARY_STRENGTH', 'UPSCALE_STRENGTH', 'INIT_IMAGE_MAX_MB', 'INIT_IMAGE_MAX_MEGAPIXELS'] as const satisfies readonly ConfigKey[];
const bot = [...common, ...discord, 'DISCORD_DEV_GUILD_ID', ...limits, ...imageLinks, ...imageInput, 'METRICS_HOST', 'BOT_METRICS_PORT'] as const satisfies readonly ConfigKey[];
const scheduler = [
  ...common,
  ...discord,
  'COMFYUI_URLS',
  'COMFYUI_AUTHORIZATIONS',
  ...imageLinks,
  'MODELS_ENABLE_NEW',
  'RETENTION_DAYS',
  'STORAGE_MAX_GB',
  'GENERATION_ROW_RETENTION_DAYS',
  'GENERATION_TIMEOUT_SECONDS',
  'INSTANCE_GRACE_SECONDS',
  'STORAGE_RETRY_SECONDS',
  'METRICS_HOST',
  'SCHEDULER_METRICS_PORT',
  'SCHEDULER_GENERATE_CONCURRENCY',
] as const satisfies readonly ConfigKey[];
// The bot waits (this long at most) for the scheduler's first model discovery only when both share a process.
const startOnly = ['STARTUP_DISCOVERY_WAIT_SECONDS'] as const satisfies readonly ConfigKey[];
const adminApi = [...common, 'COMFYUI_URLS', ...imageLinks, 'S3_SERVE', 'ADMIN_HOST', 'ADMIN_PORT', 'ADMIN_TOKEN', 'ADMIN_CORS_ORIGINS', 'MODELS_ENABLE_NEW'] as const satisfies readonly ConfigKey[];

/** The keys each process role needs; `start` runs every role in one process. */
export const roleKeys = {
  bot,
  scheduler,
  'admin-api': adminApi,
  migrate: common,
  /** `npm start`: bot, scheduler and admin API in one process. */
  start: [...new Set([...bot, ...scheduler, ...adminApi, ...startOnly])] as (typeof bot | typeof scheduler | typeof adminApi | typeof startOnly)[number][],
  /** `npm run bot:shards`: checks the bot's keys once, then runs one bot process per shard. */
  'bot:shards': [...bot, 'BOT_SHARDS'],
  'commands:deploy': ['LOG_LEVEL', ...discord, 'DISCORD_DEV_GUILD_ID'],
  'models:refresh': [...common, 'COMFYUI_URLS', 'COMFYUI_AUTHORIZATIONS', 'MODELS_ENABLE_NEW'],
} as const satisfies Record<string, readonly ConfigKey[]>;

export type Role = keyof typeof roleKeys;
export type RoleConfig<R extends Role> = Pick<Config, (typeof roleKeys)[R][number]>;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Validates the keys a role needs; throws ConfigError with one line per problem. */
export function parseConfig<R extends Role>(role: R, env: Record<string, string | undefined>): RoleConfig<R> {
  const keys = roleKeys[role] as readonly ConfigKey[];
  const mask = Object.fromEntries(keys.map((k) => [k, true])) as Partial<Record<ConfigKey, true>>;
  const schema = configSchema.pick(mask as Record<ConfigKey, true>);
  const input = Object.fromEntries(keys.map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const result = schema.safeParse(input);
  if (result.success) {
    const problems = crossProblems(result.data as Partial<Config>);
    if (problems.length) throw new ConfigError(problems);
    return result.data as RoleConfig<R>;
  }
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(config)'}: ${issue.message}`);
  throw new ConfigError(problems);
}

/** Rules that involve more than one key. */
function crossProblems(config: Partial<Config>): string[] {
  if (config.STORAGE_BACKEND === 's3' && !config.S3_BUCKET) return ['S3_BUCKET: required when STORAGE_BACKEND=s3'];
  return [];
}

/** Reads `.env` (never overriding real environment variables) and validates the role's keys. */
export function loadConfig<R extends Role>(role: R, envFile = '.env'): RoleConfig<R> {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  const config = parseConfig(role, process.env);
  registerSecrets(secretValues(config));
  return config;
}

const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** Values that must never reach a log: secret-named keys (tokens) and passwords inside URLs. */
export function secretValues(config: Partial<Config>): string[] {
  const values = Object.entries(config).flatMap(([key, value]): string[] => {
    if (typeof value === 'string' && secretKey.test(key)) return [value];
    if (value && typeof value === 'object' && !Array.isArray(value) && secretKey.test(key)) {
      return Object.values(value).flatMap((v) => (typeof v === 'string' ? authorizationSecrets(v) : []));
    }
    const urls = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
    return urls.flatMap((u) => {
      const password = URL.canParse(u) ? new URL(u).password : '';
      return password ? [password, safeDecode(password)] : [];
    });
  });
  return [...new Set(values)];
}

/** For process entry points: print one line per problem and exit instead of a stack trace. */
export function loadConfigOrExit<R extends Role>(role: R): RoleConfig<R> {
  try {
    return loadConfig(role);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.problems) process.stderr.write(`config error: ${line}\n`);
      process.exit(78);
    }
    throw err;
  }
}
