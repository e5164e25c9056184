import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';

// No Docker engine runs here, so `docker compose config` cannot; this checks what it would rely on.
interface Service {
  build?: string;
  image?: string;
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
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
});
