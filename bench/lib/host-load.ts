import { readFileSync } from 'node:fs';
import pg from 'pg';

const ticksPerSecond = 100; // USER_HZ on Linux

/** A process's or thread's name and user and system CPU in ms, from the text of its /proc …/stat. */
export function cpuOfStat(stat: string): { name: string; userMs: number; systemMs: number } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ms = (ticks: string | undefined) => (Number(ticks) / ticksPerSecond) * 1000;
  return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), userMs: ms(fields[11]), systemMs: ms(fields[12]) };
}

/** User + system CPU of a process in ms (from /proc/<pid>/stat), or undefined if it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const cpu = cpuOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return cpu.userMs + cpu.systemMs;
  } catch {
    return undefined;
  }
}

/** The machine's busy and total CPU time so far (all cores, /proc/stat), ms. */
export function machineCpu(): { busyMs: number; totalMs: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = cpu[3]! + (cpu[4] ?? 0);
  return { busyMs: ((total - idle) / ticksPerSecond) * 1000, totalMs: (total / ticksPerSecond) * 1000 };
}

export interface PgLoad {
  seconds: number;
  /** Commits + rollbacks in our database (pg_stat_database). */
  transactions: number;
  /** CPU of the Postgres backends serving our database (sampled every `everyMs` from /proc; a backend's CPU before it was first seen is not counted). */
  backendCpuMs: number;
  /** The machine's busy share of all cores over the window (other tenants included). */
  machineBusy: number;
  /** Samples of our backends waiting on a lock: mean count, and the share of samples with at least one. */
  lockWaitersMean: number;
  lockWaitShare: number;
  lockWaitEvents: Record<string, number>;
}

/**
 * Samples what Postgres spends on one database while a bench runs: transactions from
 * pg_stat_database, CPU of that database's backends from /proc (the server is shared with other
 * databases, so the server's total CPU would not be ours), and backends waiting on locks.
 */
export async function watchPostgres(adminUrl: string, database: string, everyMs = 200): Promise<{ stop(): Promise<PgLoad> }> {
  const client = new pg.Client({ connectionString: adminUrl });
  // Connected to the bench's database: when a round fails before stop(), dropping that database
  // ends this connection, which must not crash the bench and hide the round's own error.
  client.on('error', () => {});
  await client.connect();
  const xacts = async () =>
    Number((await client.query(`select xact_commit + xact_rollback as n from pg_stat_database where datname = $1`, [database])).rows[0]?.n ?? 0);
  const firstSeen = new Map<number, number>();
  const lastSeen = new Map<number, number>();
  const startX = await xacts();
  const startCpu = machineCpu();
  const started = Date.now();
  let samples = 0;
  let waiters = 0;
  let withWaiters = 0;
  const events: Record<string, number> = {};
  let stopped = false;
  const sample = async () => {
    const { rows } = await client.query<{ pid: number; wt: string | null; we: string | null }>(
      `select pid, wait_event_type as wt, wait_event as we from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
      [database],
    );
    samples++;
    let locked = 0;
    for (const r of rows) {
      const cpu = processCpuMs(r.pid);
      if (cpu !== undefined) {
        if (!firstSeen.has(r.pid)) firstSeen.set(r.pid, cpu);
        lastSeen.set(r.pid, cpu);
      }
      if (r.wt === 'Lock') {
        locked++;
        events[r.we ?? '?'] = (events[r.we ?? '?'] ?? 0) + 1;
      }
    }
    waiters += locked;
    if (locked > 0) withWaiters++;
  };
  const loop = (async () => {
    while (!stopped) {
      await sample().catch(() => undefined);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      for (const pid of lastSeen.keys()) {
        const cpu = processCpuMs(pid);
        if (cpu !== undefined) lastSeen.set(pid, cpu);
      }
      const endCpu = machineCpu();
      const transactions = (await xacts()) - startX;
      await client.end();
      let backendCpuMs = 0;
      for (const [pid, last] of lastSeen) backendCpuMs += last - firstSeen.get(pid)!;
      return {
        seconds: (Date.now() - started) / 1000,
        transactions,
        backendCpuMs,
        machineBusy: (endCpu.busyMs - startCpu.busyMs) / Math.max(1, endCpu.totalMs - startCpu.totalMs),
        lockWaitersMean: waiters / Math.max(1, samples),
        lockWaitShare: withWaiters / Math.max(1, samples),
        lockWaitEvents: events,
      };
    },
  };
}
