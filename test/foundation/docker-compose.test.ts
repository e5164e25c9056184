import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { configSchema } from '#shared/config.ts';

// No Docker engine runs here, so `docker compose config` cannot; this checks what it would rely on.
interface Service {
  build?: string;
  image?: string;
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const dockerfile = readFileSync('Dockerfile', 'utf8');

describe('docker-compose.yml', () => {
  test('postgres with a named volume and a healthcheck', () => {
    const pg = compose.services.postgres!;
    expect(pg.healthcheck?.test.join(' ')).toMatch(/pg_isready/);
    const volume = pg.volumes?.[0]?.split(':')[0];
    expect(volume && compose.volumes).toHaveProperty(volume!);
  });

  test('the three roles and the migration come from the one image, start after a healthy, migrated database', () => {
    for (const [role, entry] of [['bot', 'bot/main.ts'], ['scheduler', 'scheduler/main.ts'], ['admin-api', 'admin-api/main.ts'], ['migrate', 'scripts/migrate.ts']] as const) {
      const service = compose.services[role]!;
      expect(service.build, role).toBe('.');
      expect(service.image, role).toBe('genonaut:latest');
      expect(service.command?.[1], role).toBe(entry);
      expect(existsSync(entry), entry).toBe(true);
      expect(service.depends_on?.postgres?.condition, role).toBe('service_healthy');
      if (role !== 'migrate') expect(service.depends_on?.migrate?.condition, role).toBe('service_completed_successfully');
    }
  });

  test('one multi-stage Dockerfile that runs as a non-root user and copies every folder the roles import', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    for (const dir of ['bot', 'scheduler', 'admin-api', 'src-shared', 'migrations', 'scripts']) expect(dockerfile).toContain(`COPY ${dir} ./${dir}`);
  });

  test('every long-running role has a restart policy and a healthcheck on its own /readyz', () => {
    for (const role of ['postgres', 'bot', 'scheduler', 'admin-api']) {
      const service = compose.services[role]!;
      expect(service.restart, role).toBe('unless-stopped');
      expect(service.healthcheck?.test, role).toBeDefined();
    }
    for (const role of ['bot', 'scheduler', 'admin-api']) {
      const [kind, node, script, url] = compose.services[role]!.healthcheck!.test;
      expect([kind, node, script], role).toEqual(['CMD', 'node', 'scripts/healthcheck.ts']);
      expect(url, role).toMatch(/^http:\/\/127\.0\.0\.1:\$\{[A-Z_]+:-\d+\}\/readyz$/);
      // The port variable and its default are the ones the role's config listens on.
      const [, key, fallback] = /\$\{([A-Z_]+):-(\d+)\}/.exec(url!)!;
      expect(String(configSchema.shape[key as keyof typeof configSchema.shape].parse(undefined)), `${role} ${key}`).toBe(fallback);
      expect(['ADMIN_PORT', 'BOT_METRICS_PORT', 'SCHEDULER_METRICS_PORT'], role).toContain(key);
    }
    // The listeners answer from outside their container (healthcheck on loopback, Prometheus over the network).
    expect(compose.services.bot!.environment?.METRICS_HOST).toBe('0.0.0.0');
    expect(compose.services.scheduler!.environment?.METRICS_HOST).toBe('0.0.0.0');
  });

  test('the admin port is published (on loopback) where ADMIN_PORT says, with the same default as the config', () => {
    const admin = compose.services['admin-api']!;
    const defaultPort = configSchema.shape.ADMIN_PORT.parse(undefined);
    expect(admin.ports).toEqual([`127.0.0.1:\${ADMIN_PORT:-${defaultPort}}:\${ADMIN_PORT:-${defaultPort}}`]);
    expect(admin.environment?.ADMIN_PORT).toBe(`\${ADMIN_PORT:-${defaultPort}}`);
    expect(admin.healthcheck?.test[3]).toBe(`http://127.0.0.1:\${ADMIN_PORT:-${defaultPort}}/readyz`);
  });

  test('commands are registered once, next to the migration, before the bot starts', () => {
    const register = compose.services['register-commands']!;
    expect(register.command).toEqual(['node', 'bot/deploy-commands.ts']);
    expect(register.restart).toBe('no');
    expect(compose.services.migrate!.restart).toBe('no');
    expect(compose.services.bot!.depends_on?.['register-commands']?.condition).toBe('service_completed_successfully');
  });

  test('.dockerignore keeps secrets, data, local tools and the git history out of the build context', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['.git', '.env', 'node_modules', '.tools', 'data', 'test-results']) expect(ignored, entry).toContain(entry);
    // …but nothing the image copies.
    for (const dir of dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm)) expect(ignored, dir[1]).not.toContain(dir[1]);
  });
});

describe('scripts/healthcheck.ts', () => {
  // Asynchronous: the server under test answers from this same process.
  const check = (url: string) =>
    new Promise<{ status: number; stderr: string }>((resolve) => {
      execFile(process.execPath, ['scripts/healthcheck.ts', url], { env: { ...process.env, HEALTHCHECK_TIMEOUT_MS: '2000' } }, (err, _stdout, stderr) =>
        resolve({ status: err ? Number(err.code) : 0, stderr }),
      );
    });

  test('exits 0 on a 2xx answer, 1 with one line on a 503 or no answer', async () => {
    let status = 200;
    const server = createServer((_req, res) => {
      res.statusCode = status;
      res.end(status === 200 ? '{"status":"ready"}' : '{"status":"not_ready"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`;
    try {
      expect((await check(url)).status).toBe(0);
      status = 503;
      const down = await check(url);
      expect(down.status).toBe(1);
      expect(down.stderr.trim().split('\n')).toEqual([expect.stringContaining('answered 503')]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const gone = await check(url);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain('did not answer');
  });
});
