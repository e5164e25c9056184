import { afterAll, beforeAll, expect, test } from 'vitest';
import { registerCommands } from '#bot/register-commands.ts';
import { startDiscordSim, type DiscordSim, type SentInteraction, type SimMessage, type SimUser } from '#sim/discord/index.ts';
import { seedModels } from '../support/e2e.ts';
import { spawnRole, type SchedulerProcess } from '../support/scheduler-process.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';
import { printOutage } from './outage-report.ts';

// The bot process is SIGKILLed while members press Cancel; a new bot process takes over. Presses the
// dead one never answered are pressed again (as a member would after "This interaction failed") and
// answered by the new one; each request ends cancelled once, and nothing is queued twice.
let sim: DiscordSim;
let db: TestDatabase;
const bots: SchedulerProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startDiscordSim();
  await seedModels(db);
  await registerCommands({ token: sim.token, applicationId: sim.applicationId, apiBase: sim.apiBase, guildId: sim.defaultGuild!.id });
});
afterAll(async () => {
  for (const bot of bots) await bot.kill();
  await sim?.close();
  await db?.drop();
});

async function startBot(): Promise<SchedulerProcess> {
  const bot = spawnRole('bot/main.ts', {
    DATABASE_URL: db.url, DISCORD_TOKEN: sim.token, DISCORD_APPLICATION_ID: sim.applicationId, DISCORD_API_BASE: sim.apiBase, LOG_LEVEL: 'info',
  });
  bots.push(bot);
  await expect.poll(() => bot.output(), { timeout: 20_000, interval: 50 }).toContain('bot ready');
  return bot;
}

const answered = async (ix: SentInteraction, ms: number) => ix.waitForResponse(ms).then(() => true, () => false);

test('bot process killed while members press buttons: the restarted bot answers the next presses; each request cancelled once', async () => {
  const first = await startBot();
  const guild = sim.defaultGuild!;
  const members: SimUser[] = Array.from({ length: 6 }, () => sim.addUser());
  const queued: { user: SimUser; message: SimMessage; cancelId: string }[] = [];
  for (const [i, user] of members.entries()) {
    const ix = sim.sendCommand({ user, guild, name: 'imagine', options: [{ name: 'prompt', value: `a lighthouse, take ${i}` }] });
    const response = await ix.waitForResponse(5_000);
    const cancelId = (response.data as { components: { components: { custom_id: string }[] }[] }).components[0]!.components[0]!.custom_id;
    queued.push({ user, message: ix.original()!, cancelId });
  }

  // Half the members press Cancel; the bot dies while their presses are in flight.
  const press = (q: (typeof queued)[number]) => sim.sendComponent({ user: q.user, guild, message: q.message, customId: q.cancelId });
  const inFlight = queued.slice(0, 3).map(press);
  await new Promise((r) => setTimeout(r, 25)); // some reach the bot: handled, maybe never answered
  await first.kill('SIGKILL');
  const killedAt = Date.now();
  const answeredByDead = await Promise.all(inFlight.map((ix) => answered(ix, 300)));

  await startBot();
  const backAt = Date.now();
  // Those left unanswered press again; the others press for the first time. All answered now.
  const again = queued.slice(0, 3).filter((_, i) => !answeredByDead[i]).map(press);
  const fresh = queued.slice(3).map(press);
  const responses = await Promise.all([...again, ...fresh].map((ix) => ix.waitForResponse(10_000)));
  const recoveredAt = Date.now();
  // UPDATE_MESSAGE: the Cancel landed; a press again after the dead bot had cancelled (but not
  // answered) is told so instead of failing.
  const outcome = (r: (typeof responses)[number]) =>
    r.type === 7 ? 'cancelled' : /already cancelled/.test(JSON.stringify(r.data)) ? 'already cancelled' : JSON.stringify(r);
  expect(responses.slice(0, again.length).map(outcome).every((o) => o === 'cancelled' || o === 'already cancelled')).toBe(true);
  expect(responses.slice(again.length).map(outcome)).toEqual(fresh.map(() => 'cancelled'));

  const rows = (await db.pool.query<{ userId: string; status: string; jobs: number }>(
    `select user_id as "userId", status, (select count(*)::int from pgboss.job j where j.name = 'generate' and j.data->>'generationId' = g.id::text) as jobs
     from generation g order by created_at`)).rows;
  expect(rows.map((r) => r.userId)).toEqual(members.map((m) => m.id)); // one row per member: nothing queued twice
  expect(rows.map((r) => r.status)).toEqual(members.map(() => 'cancelled'));
  expect(rows.map((r) => r.jobs)).toEqual(members.map(() => 1));
  // The new bot takes new requests too.
  const after = sim.sendCommand({ user: members[0]!, guild, name: 'imagine', options: [{ name: 'prompt', value: 'after the restart' }] });
  expect(((await after.waitForResponse(5_000)).data as { embeds: { title: string }[] }).embeds[0]!.title).toBe('Queued — #1 in line');

  printOutage('bot process killed while members press buttons', {
    submitted: members.length,
    settled: rows.filter((r) => r.status === 'cancelled').length,
    lost: 0,
    duplicated: rows.length - members.length,
    'presses the killed bot never answered (pressed again)': again.length,
    'time to recover (kill → new bot ready)': `${backAt - killedAt} ms`,
    'kill → every press answered': `${recoveredAt - killedAt} ms`,
  });
});
