// The anchor for scheduler CPU and statements per generation: a bare pg-boss worker that takes a
// job and completes it (NOTIFY on, the same pool size and concurrency as the scheduler's generate
// worker). Run by bench/throughput.ts through spawnCounted.
import { PgBoss } from 'pg-boss';

const boss = new PgBoss({ connectionString: process.env.DATABASE_URL!, schema: 'anchor', useListenNotify: true, max: 10 });
boss.on('error', () => {});
await boss.start();
await boss.createQueue('anchor', { notify: true });
const concurrency = Number(process.env.ANCHOR_CONCURRENCY ?? 2);
await boss.work('anchor', { localConcurrency: concurrency, pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 0.5 }, async () => {});
console.log('anchor worker ready');
