import { readFileSync } from 'node:fs';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { startAdminApi, type RunningAdminApi } from '#admin/start.ts';
import { createOrm } from '#shared/db/orm.ts';
import { asDb } from '#shared/db/pool.ts';
import { ImageLinks } from '#shared/images/image-links.ts';
import { createLogger } from '#shared/logging.ts';
import { LocalStorage } from '#shared/storage/local-storage.ts';
import { startBoss } from '#shared/queue/boss.ts';
import { instanceHealthJob } from '#scheduler/jobs/instance-health.ts';
import type { PgBoss } from 'pg-boss';
import { startE2E, type E2E } from '../support/e2e.ts';
import { startSchedulerHarness, type SchedulerHarness } from '../support/scheduler-harness.ts';
import { testLogger } from '../support/scheduler-context.ts';

const adminToken = 'e2e-admin-token-0123456789abcdef';
let e2e: E2E;
let scheduler: SchedulerHarness;
let orm: MikroORM;
let adminBoss: PgBoss;
let admin: RunningAdminApi;

beforeAll(async () => {
  e2e = await startE2E({ comfy: true, botMetrics: true });
  orm = await createOrm(e2e.db.url);
  const db = asDb(e2e.db.pool);
  adminBoss = await startBoss(e2e.db.url, { supervise: false });
  admin = await startAdminApi({
    db, orm, adminToken, logger: createLogger({ level: 'silent' }), host: '127.0.0.1', port: 0, queue: { pool: e2e.db.pool, boss: adminBoss },
    images: { storage: new LocalStorage('/nonexistent'), links: new ImageLinks({ db, ttlSeconds: 600, baseUrl: 'http://unused' }) },
  });
  scheduler = await startSchedulerHarness({ tdb: e2e.db, discord: e2e.sim, comfyUrls: [e2e.comfy!.url], metrics: true });
});
afterAll(async () => {
  await scheduler?.stop();
  await admin?.close();
  await adminBoss?.stop({ graceful: false });
  await orm?.close();
  await e2e?.stop();
});

const adminCall = (path: string, init: RequestInit = {}) => fetch(`${admin.url}${path}`, { ...init, headers: { authorization: `Bearer ${adminToken}`, ...init.headers } });
const scrape = async (url: string | undefined) => {
  expect(url).toBeDefined();
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
};
/** The value of one sample line, e.g. `genonaut_generations_total{role="scheduler",outcome="succeeded"}`. */
const sample = (text: string, name: string, labels: Record<string, string>) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};
/** expect.poll for hooks (it only works inside tests). */
async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const choiceValues = (response: { data?: unknown }) => ((response.data as { choices?: { value: string }[] }).choices ?? []).map((c) => c.value);

describe('the bot\'s autocomplete follows the admin API at once', () => {
  test('a model disabled over HTTP disappears from the next autocomplete, and comes back when enabled', async () => {
    const player = e2e.playUser();
    const before = await player.autocomplete('model', 'sdxl');
    expect(choiceValues(before.response)).toContain('sdxl_base.safetensors');
    const id = e2e.models!.checkpoint.id;
    expect((await adminCall(`/api/v1/models/${id}/disable`, { method: 'POST' })).status).toBe(200);
    expect(choiceValues((await player.autocomplete('model', 'sdxl')).response)).not.toContain('sdxl_base.safetensors');
    expect((await adminCall('/api/v1/models/bulk', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ids: [id], action: 'enable' }) })).status).toBe(200);
    expect(choiceValues((await player.autocomplete('model', 'sdxl')).response)).toContain('sdxl_base.safetensors');
  });
});

describe('metrics and readiness of every role after an end-to-end generation', () => {
  const texts: Record<'bot' | 'scheduler' | 'admin', string> = { bot: '', scheduler: '', admin: '' };

  beforeAll(async () => {
    const { message } = await e2e.playUser().imagine({ prompt: 'a lighthouse for the metrics', steps: 4 });
    await until(async () => (message()?.attachments.length ?? 0) === 1, 20_000, 'the result delivered');
    texts.bot = await scrape(e2e.bot.metricsUrl);
    // Counted once the result is delivered: poll rather than race the deliver job's last statement.
    await until(async () => sample(await scrape(scheduler.scheduler.metricsUrl), 'genonaut_deliveries_total', { kind: 'result', outcome: 'delivered' }) === 1, 5_000, 'the delivery counted');
    // The generate job that ran it stays a moment as its process's idle placer before it ends.
    await until(async () => sample(await scrape(scheduler.scheduler.metricsUrl), 'genonaut_jobs_total', { queue: 'generate', outcome: 'done' }) === 1, 5_000, 'the generate job counted');
    texts.scheduler = await scrape(scheduler.scheduler.metricsUrl);
    texts.admin = await scrape(admin.url);
  });

  test('the bot counts the command and its latency', () => {
    expect(sample(texts.bot, 'genonaut_interactions_total', { role: 'bot', kind: 'command', name: 'imagine', outcome: 'ok' })).toBe(1);
    expect(sample(texts.bot, 'genonaut_interaction_seconds_count', { kind: 'command' })).toBeGreaterThanOrEqual(1);
    expect(sample(texts.bot, 'genonaut_interactions_total', { kind: 'autocomplete', name: 'imagine', outcome: 'ok' })).toBe(3);
    expect(texts.bot).toContain('# TYPE genonaut_discord_api_errors_total counter');
    expect(texts.bot).toContain('process_cpu_seconds_total');
  });

  test('the scheduler counts the generation, its wait and run times, the delivery and the jobs', () => {
    expect(sample(texts.scheduler, 'genonaut_generations_total', { role: 'scheduler', outcome: 'succeeded' })).toBe(1);
    expect(sample(texts.scheduler, 'genonaut_generations_total', { outcome: 'failed' })).toBe(0);
    expect(sample(texts.scheduler, 'genonaut_queue_wait_seconds_count', {})).toBe(1);
    expect(sample(texts.scheduler, 'genonaut_run_seconds_count', { outcome: 'succeeded' })).toBe(1);
    expect(sample(texts.scheduler, 'genonaut_jobs_total', { queue: 'generate', outcome: 'done' })).toBe(1);
    expect(sample(texts.scheduler, 'genonaut_queue_oldest_waiting_seconds', {})).toBe(0);
    expect(texts.scheduler).toContain('# TYPE genonaut_comfyui_errors_total counter');
    expect(texts.scheduler).toContain('# TYPE genonaut_instance_up gauge');
    // Outage episodes are served by the scheduler too (counted by the fault suite, e.g. comfy-restart).
    expect(texts.scheduler).toContain('# TYPE genonaut_outage_episodes_total counter');
    expect(texts.scheduler).toContain('# TYPE genonaut_outage_failures_total counter');
  });

  test('the admin API reports the shared gauges under its role', () => {
    expect(sample(texts.admin, 'genonaut_generations', { role: 'admin-api', status: 'succeeded' })).toBe(1);
  });

  test('each role\'s /readyz checks what that role needs', async () => {
    const bot = await fetch(`${e2e.bot.metricsUrl}/readyz`);
    expect(bot.status).toBe(200);
    expect(await bot.json()).toEqual({ status: 'ready', checks: { gateway: 'ok', database: 'ok' } });

    const ctx = scheduler.scheduler.context;
    await instanceHealthJob.handle(ctx, {}, { logger: testLogger, jobId: 'test', signal: new AbortController().signal, retryCount: 0 });
    const ready = await fetch(`${scheduler.scheduler.metricsUrl}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', queue: 'ok', instances: 'ok' } });
    expect(sample(await scrape(scheduler.scheduler.metricsUrl), 'genonaut_instance_up', { name: 'comfy-1' })).toBe(1);

    // With its only instance draining, the scheduler cannot start work: not ready, and says why.
    await e2e.db.pool.query('update comfy_instance set draining = true');
    const draining = await fetch(`${scheduler.scheduler.metricsUrl}/readyz`);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toEqual({ status: 'not_ready', checks: { database: 'ok', queue: 'ok', instances: 'down' } });
    await e2e.db.pool.query('update comfy_instance set draining = false');

    expect((await fetch(`${admin.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${e2e.bot.metricsUrl}/nothing`)).status).toBe(404);
    expect((await fetch(`${e2e.bot.metricsUrl}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  test('the example alert rules parse, and every metric they name is exported by some role', () => {
    const doc = parse(readFileSync('deploy/prometheus/alerts.yml', 'utf8')) as { groups: { name: string; rules: { alert: string; expr: string; for: string; labels: { severity: string }; annotations: { summary: string } }[] }[] };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['GenonautHighFailureRate', 'GenonautOldestWaitingTooOld', 'GenonautInstanceDown']));
    const exported = new Set(Object.values(texts).flatMap((t) => [...t.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!)));
    for (const rule of rules) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      expect(rule.expr.split('(').length, `${rule.alert}: parentheses balance`).toBe(rule.expr.split(')').length);
      const named = [...rule.expr.matchAll(/\bgenonaut_[a-z_]+/g)].map((m) => m[0]);
      expect(named.length, rule.alert).toBeGreaterThan(0);
      for (const name of named) expect(exported.has(name) || exported.has(name.replace(/_(bucket|sum|count)$/, '')), `${rule.alert} names ${name}`).toBe(true);
    }
  });
});

describe('model defaults edited over HTTP', () => {
  test('/imagine uses the checkpoint\'s new defaults for what the member leaves out', async () => {
    const id = e2e.models!.checkpoint.id;
    const patch = await adminCall(`/api/v1/models/${id}`, {
      method: 'PATCH', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ defaultWidth: 512, defaultHeight: 768, defaultSteps: 3, defaultCfg: 4.5, defaultSampler: 'dpmpp_2m', defaultScheduler: 'karras' }),
    });
    expect(patch.status).toBe(200);
    const { message } = await e2e.playUser().imagine({ prompt: 'defaults please', model: 'sdxl_base.safetensors' });
    await until(async () => (message()?.attachments.length ?? 0) === 1, 20_000, 'the result delivered');
    const { rows } = await e2e.db.pool.query(`select width, height, steps, cfg, sampler, scheduler from generation where prompt = 'defaults please'`);
    expect(rows).toEqual([{ width: 512, height: 768, steps: 3, cfg: 4.5, sampler: 'dpmpp_2m', scheduler: 'karras' }]);
  });
});
