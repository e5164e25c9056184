import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';

export interface BotProcessOptions {
  databaseUrl: string;
  apiBase: string;
  token: string;
  applicationId: string;
  /** The compile cache folder (NODE_COMPILE_CACHE): empty for a first start, filled by one for a later start. */
  compileCacheDir: string;
  /** How long to let the process settle after `bot ready` before reading its RSS. */
  settleMs?: number;
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!kb) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb[1]) * 1024;
}

/**
 * Starts the real bot process (`node bot/main.ts`, as `npm run bot` does: database pool, pg-boss,
 * storage, metrics listener, gateway), waits for its `bot ready` line, lets it settle, reads its RSS
 * from /proc and stops it with SIGTERM. No forced GC: the process is measured as it runs.
 */
export async function measureBotProcess(opts: BotProcessOptions): Promise<{ rss: number }> {
  const storageDir = await mkdtemp(path.join(tmpdir(), 'gn-bench-bot-rss-'));
  const child = spawn(process.execPath, ['bot/main.ts'], {
    env: {
      PATH: process.env.PATH, DATABASE_URL: opts.databaseUrl, DISCORD_TOKEN: opts.token, DISCORD_APPLICATION_ID: opts.applicationId,
      DISCORD_API_BASE: opts.apiBase, STORAGE_DIR: storageDir, LOG_LEVEL: 'info', BOT_METRICS_PORT: '0', NODE_COMPILE_CACHE: opts.compileCacheDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = once(child, 'exit');
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bot/main.ts not ready within 120 s:\n${output.slice(-2000)}`)), 120_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('bot ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then(() => reject(new Error(`bot/main.ts exited before ready:\n${output.slice(-2000)}`)));
    });
    await new Promise((r) => setTimeout(r, opts.settleMs ?? 2_000));
    return { rss: await rssOf(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await exited;
    await rm(storageDir, { recursive: true, force: true });
  }
}
