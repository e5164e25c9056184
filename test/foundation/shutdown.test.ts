import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, test } from 'vitest';

interface Line {
  level: string;
  msg: string;
  err?: { message: string };
  [key: string]: unknown;
}

/** Runs a small ES module (with this package's imports) that installs the guards, and collects its log lines. */
function runGuarded(body: string) {
  const script = `
    import { createLogger } from '#shared/logging.ts';
    import { guardProcess, stopOnSignals } from '#shared/shutdown.ts';
    const logger = createLogger({ name: 'guarded' });
    guardProcess(logger, stopOnSignals(logger, async () => { logger.info('cleaned up'); }, { forceAfterMs: 5_000 }));
    setInterval(() => {}, 1_000);
    ${body}
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const lines = () => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
  return { child, lines, exited: once(child, 'exit') as Promise<[number | null, string | null]> };
}

describe('guardProcess', () => {
  test('an unhandled rejection is logged with its error and the process keeps running until told to stop', async () => {
    const run = runGuarded(`
      setTimeout(() => void Promise.reject(new Error('lost promise')), 10);
      setTimeout(() => logger.info('still running'), 200);
    `);
    await expect.poll(() => run.lines().map((l) => l.msg), { timeout: 10_000 }).toContain('still running');
    expect(run.lines().find((l) => l.msg === 'unhandled promise rejection; carrying on')).toMatchObject({ level: 'error', err: { message: 'lost promise' } });
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGTERM');
    const [code] = await run.exited;
    expect(code).toBe(0);
    expect(run.lines().map((l) => l.msg)).toEqual(expect.arrayContaining(['cleaned up', 'stopped']));
  });

  test('an uncaught exception is logged as fatal, then the process stops gracefully with exit code 1', async () => {
    const run = runGuarded(`setTimeout(() => { throw new Error('boom'); }, 10);`);
    const [code] = await run.exited;
    expect(code).toBe(1);
    const line = (msg: string) => run.lines().find((l) => l.msg === msg);
    expect(line('uncaught exception; stopping')).toMatchObject({ level: 'fatal', err: { message: 'boom' }, origin: 'uncaughtException' });
    expect(line('stopping')).toMatchObject({ reason: 'uncaughtException' });
    // pino may write the fatal line last; its time says it came first.
    expect(line('cleaned up')!.time).toBeGreaterThanOrEqual(line('uncaught exception; stopping')!.time as number);
    expect(line('stopped')).toBeDefined();
  });
});
