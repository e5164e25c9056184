import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { ConfigError, configSchema, parseConfig } from '#shared/config.ts';
import { limiterSettingsFrom } from '#shared/limits/settings.ts';

const valid = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/genonaut',
  DISCORD_TOKEN: 'MTAxMjM0NTY3ODkw.fake.token-value',
  DISCORD_APPLICATION_ID: '100000000000000001',
  ADMIN_TOKEN: 'a-long-admin-token-of-32-characters!',
};

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  test('.env.example lists every key, each with a comment', () => {
    const lines = readFileSync('.env.example', 'utf8').split('\n');
    const listed = lines.map((l, i) => ({ key: /^([A-Z][A-Z0-9_]*)=/.exec(l)?.[1], commented: lines[i - 1]?.startsWith('#') })).filter((k) => k.key);
    expect(listed.map((k) => k.key).sort()).toEqual(Object.keys(configSchema.shape).sort());
    for (const k of listed) expect(k.commented, k.key).toBe(true);
  });

  test('defaults that work on one machine', () => {
    const c = parseConfig('admin-api', valid);
    expect(c.ADMIN_HOST).toBe('127.0.0.1');
    expect(c.ADMIN_PORT).toBe(8787);
    expect(c.STORAGE_DIR).toBe('./data');
    expect(c.COMFYUI_URLS).toEqual(['http://127.0.0.1:8188']);
    expect(c.LOG_LEVEL).toBe('info');
  });

  test('COMFYUI_URLS is a comma-separated list', () => {
    const c = parseConfig('scheduler', { ...valid, COMFYUI_URLS: 'http://gpu1:8188, http://gpu2:8188' });
    expect(c.COMFYUI_URLS).toEqual(['http://gpu1:8188', 'http://gpu2:8188']);
  });

  test('one line per problem, naming the key and what is expected', () => {
    const lines = problems(() =>
      parseConfig('admin-api', { ...valid, DATABASE_URL: undefined, ADMIN_PORT: 'eighty', ADMIN_TOKEN: 'short', LOG_LEVEL: 'loud' }),
    );
    expect(lines).toHaveLength(4);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DATABASE_URL: required: a postgres:\/\/ connection URL$/),
        expect.stringMatching(/^ADMIN_PORT: expected a TCP port number/),
        expect.stringMatching(/^ADMIN_TOKEN: expected a bearer token of at least 24 characters$/),
        expect.stringMatching(/^LOG_LEVEL: /),
      ]),
    );
  });

  test('each role checks only its own keys', () => {
    // The bot does not need the admin token or storage; the admin API does not need Discord.
    expect(() => parseConfig('bot', { ...valid, ADMIN_TOKEN: undefined })).not.toThrow();
    expect(() => parseConfig('admin-api', { ...valid, DISCORD_TOKEN: undefined })).not.toThrow();
    expect(problems(() => parseConfig('bot', { ...valid, DISCORD_APPLICATION_ID: 'abc' }))).toEqual([
      'DISCORD_APPLICATION_ID: expected a Discord snowflake id (17–20 digits)',
    ]);
    expect(problems(() => parseConfig('scheduler', { ...valid, COMFYUI_URLS: 'not a url' }))[0]).toMatch(/^COMFYUI_URLS/);
  });

  test('limit keys: the bot reads them, with defaults; 0 = no cap; a bad value names the key', () => {
    const c = parseConfig('bot', { ...valid, LIMIT_IMAGES_PER_MINUTE: '0', LIMIT_MAX_PIXELS: '1048576', QUEUE_MAX_WAITING: '5000' });
    expect(limiterSettingsFrom(c)).toEqual({
      defaults: { perMinute: 0, perHour: 100, perDay: 400, maxActive: 4, maxBatch: 4, maxSteps: 0, maxPixels: 1_048_576, blocked: false },
      maxWaiting: 5000,
    });
    expect(problems(() => parseConfig('bot', { ...valid, LIMIT_MAX_ACTIVE: '-1', LIMIT_IMAGES_PER_DAY: '2.5' })).sort()).toEqual([
      'LIMIT_IMAGES_PER_DAY: expected a whole number of images (0 = no cap)',
      'LIMIT_MAX_ACTIVE: expected a whole number of requests (0 = no cap)',
    ]);
  });

  test('a process with a bad value stops with one clear line per problem, no stack trace', () => {
    const result = spawnSync(process.execPath, ['scripts/migrate.ts'], {
      env: { PATH: process.env.PATH, DATABASE_URL: 'mysql://nope', LOG_LEVEL: 'verbose' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(78);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual([
      'config error: DATABASE_URL: expected a postgres:// or postgresql:// connection URL',
      expect.stringMatching(/^config error: LOG_LEVEL: /),
    ]);
  });

  test('image links: signer and checker read the same keys; a short secret is refused; empty means a key kept in the database', () => {
    for (const role of ['scheduler', 'admin-api', 'start'] as const) {
      const c = parseConfig(role, { ...valid, IMAGE_URL_SECRET: '' });
      expect(c.IMAGE_URL_SECRET, role).toBeUndefined();
      expect(c.IMAGE_URL_TTL_SECONDS, role).toBe(604_800);
      expect(c.PUBLIC_BASE_URL, role).toBe('http://127.0.0.1:8787');
    }
    expect(parseConfig('scheduler', { ...valid, IMAGE_URL_SECRET: 's'.repeat(32), IMAGE_URL_TTL_SECONDS: '3600' })).toMatchObject({ IMAGE_URL_SECRET: 's'.repeat(32), IMAGE_URL_TTL_SECONDS: 3600 });
    expect(problems(() => parseConfig('admin-api', { ...valid, IMAGE_URL_SECRET: 'too-short', IMAGE_URL_TTL_SECONDS: '10' }))).toEqual([
      'IMAGE_URL_SECRET: expected at least 32 characters (or leave it empty to keep a generated key in the database)',
      'IMAGE_URL_TTL_SECONDS: expected at least 60 seconds',
    ]);
  });
});
