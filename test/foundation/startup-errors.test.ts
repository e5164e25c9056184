import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { describeStartupError } from '#shared/startup-errors.ts';
import { databaseUrl, dropDatabase, withAdminClient } from '../support/db.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

// Each case runs the real entry point in a child process and expects exit 1 with exactly one line
// on stderr (the problem and its fix), no stack trace, nothing on stdout.
const UNUSED_PORT = 59_997;
const runId = inject('templateDatabase').replace('_tpl_', '_');
const missingDb = `${runId}_missing`;
const emptyDb = `${runId}_empty`;
const createdDb = `${runId}_created`;
let migrated: TestDatabase;
let busy: Server;

beforeAll(async () => {
  migrated = await createTestDatabase();
  await withAdminClient((c) => c.query(`create database ${pg.escapeIdentifier(emptyDb)}`));
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  busy.close();
  await migrated.drop();
  for (const name of [emptyDb, createdDb, missingDb]) await dropDatabase(name);
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(script: string, env: Record<string, string>, args: string[] = []): Promise<Run> {
  const child = spawn(process.execPath, [script, ...args], {
    env: {
      PATH: process.env.PATH!,
      LOG_LEVEL: 'warn',
      ADMIN_TOKEN: 'a-test-admin-token-long-enough',
      DISCORD_TOKEN: 'test.token.not-real',
      DISCORD_APPLICATION_ID: '123456789012345678',
      DISCORD_API_BASE: `http://127.0.0.1:${UNUSED_PORT}/api`,
      COMFYUI_URLS: `http://127.0.0.1:${UNUSED_PORT}`,
      ...env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  return new Promise((resolve) => child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr }))));
}

function expectOneLine(result: Run, ...parts: string[]): void {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  for (const part of parts) expect(lines[0]).toContain(part);
}

describe('a start-up failure a newcomer can fix is one line naming the problem and the fix', () => {
  test('PostgreSQL not running (npm run migrate)', async () => {
    const result = await run('scripts/migrate.ts', { DATABASE_URL: `postgres://postgres@127.0.0.1:${UNUSED_PORT}/genonaut` });
    expectOneLine(result, `migrate: PostgreSQL is not reachable at 127.0.0.1:${UNUSED_PORT} (connection refused)`, 'fix DATABASE_URL');
  });

  test('the database does not exist (scheduler)', async () => {
    const result = await run('scheduler/main.ts', { DATABASE_URL: databaseUrl(missingDb) });
    expectOneLine(result, `database "${missingDb}" does not exist`, 'run `npm run migrate`');
  });

  test('the database exists but is not migrated (bot, admin API)', async () => {
    for (const script of ['bot/main.ts', 'admin-api/main.ts']) {
      const result = await run(script, { DATABASE_URL: databaseUrl(emptyDb) });
      expectOneLine(result, `the database "${emptyDb}" is not migrated`, 'run `npm run migrate`');
    }
  });

  test('the admin port is taken', async () => {
    const port = (busy.address() as { port: number }).port;
    const result = await run('admin-api/main.ts', { DATABASE_URL: migrated.url, ADMIN_PORT: String(port) });
    expectOneLine(result, `port 127.0.0.1:${port} is already in use (ADMIN_PORT)`, 'choose another port with ADMIN_PORT');
  });

  test('STORAGE_BACKEND=s3 with an endpoint that does not answer (admin API, scheduler, bot)', async () => {
    const s3 = {
      DATABASE_URL: migrated.url,
      STORAGE_BACKEND: 's3',
      S3_BUCKET: 'genonaut',
      S3_ENDPOINT: `http://127.0.0.1:${UNUSED_PORT}`,
      AWS_ACCESS_KEY_ID: 'test-key-id',
      AWS_SECRET_ACCESS_KEY: 'test-secret-access-key-never-printed',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const scripts = ['admin-api/main.ts', 'scheduler/main.ts', 'bot/main.ts'];
    const results = await Promise.all(scripts.map((script) => run(script, s3)));
    for (const result of results) {
      expectOneLine(result, `S3 bucket "genonaut" at http://127.0.0.1:${UNUSED_PORT} is not usable (connection refused): check`, 'S3_ENDPOINT');
      expect(result.stderr).not.toContain('test-secret-access-key-never-printed');
    }
  });

  test('the Discord API does not answer (commands:deploy, bot)', async () => {
    for (const script of ['bot/deploy-commands.ts', 'bot/main.ts']) {
      const result = await run(script, { DATABASE_URL: migrated.url });
      expectOneLine(result, `the Discord API at http://127.0.0.1:${UNUSED_PORT}/api does not answer`, 'DISCORD_API_BASE');
    }
  });

  test('ComfyUI does not answer: the real fetch error names COMFYUI_URLS', async () => {
    const err = await fetch(`http://127.0.0.1:${UNUSED_PORT}/object_info`).catch((e: unknown) => e);
    expect(describeStartupError(err, { comfyUrls: [`http://127.0.0.1:${UNUSED_PORT}`] })).toBe(
      `ComfyUI at http://127.0.0.1:${UNUSED_PORT} does not answer (connection refused): start it (or \`npm run sim:comfyui\`) or fix COMFYUI_URLS`,
    );
    expect(describeStartupError(new Error('something else'), { comfyUrls: [`http://127.0.0.1:${UNUSED_PORT}`] })).toBeNull();
  });

  test('npm run migrate creates a database that does not exist, then migrates it', async () => {
    const result = await run('scripts/migrate.ts', { DATABASE_URL: databaseUrl(createdDb) });
    expect(result.code, result.stderr).toBe(0);
    const db = new pg.Client({ connectionString: databaseUrl(createdDb) });
    await db.connect();
    try {
      const { rows } = await db.query<{ n: number }>('select count(*)::int as n from mikro_orm_migrations');
      expect(rows[0]!.n).toBeGreaterThan(0);
    } finally {
      await db.end();
    }
  });
});
