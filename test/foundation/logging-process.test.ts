import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { byteRunsIn } from '../support/log-capture.ts';

const token = `${randomBytes(30).toString('base64url')}:${randomBytes(24).toString('base64url')}`;
const image = randomBytes(4_000);

describe('errors that escape to the top of a process', () => {
  test.each(['throw', 'reject'])('%s: one sanitised fatal line, nothing on stderr, exit code 1', (how) => {
    const run = spawnSync(process.execPath, ['test/foundation/fixtures/uncaught-discord-error.ts', how, token, image.toString('hex')], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'fatal',
      msg: 'uncaught error; exiting',
      err: { type: 'DiscordAPIError', status: 401, url: 'https://discord.com/api/v10/webhooks/100000000000000001/[redacted]/messages/@original' },
    });
    expect(run.stdout).not.toContain(token);
    expect(byteRunsIn(run.stdout, image)).toEqual([]);
  });

  test('`npm start` failing at startup (database unreachable) says so in one line without the database password', () => {
    const password = 'Long-Secret-Pass-0123';
    const run = spawnSync(process.execPath, ['scripts/start.ts'], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: `postgres://genonaut:${password}@127.0.0.1:1/genonaut`,
        DISCORD_TOKEN: 'not-a-real-discord-token',
        DISCORD_APPLICATION_ID: '100000000000000001',
        ADMIN_TOKEN: 'admin-token-0123456789abcdefgh',
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    // A failure with a known fix is one line (src-shared/startup-errors.ts), not a fatal log entry.
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('genonaut: PostgreSQL is not reachable at 127.0.0.1:1 (connection refused): start it (e.g. `pg_ctlcluster --skip-systemctl-redirect 15 main start`) or fix DATABASE_URL\n');
    expect(run.stderr).not.toContain(password);
  });
});
