import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MessageFlags } from 'discord-api-types/v10';
import { noLimits } from '#shared/limits/policy.ts';
import { startE2E, type E2E, type Played } from '../support/e2e.ts';

// Each way /imagine is refused before anything is queued, through the real bot against sim/discord:
// the member alone reads what to change; nothing technical, nothing queued.

let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E({ limits: { defaults: { ...noLimits, maxBatch: 2, maxSteps: 40 }, maxWaiting: 0 } });
  await e2e.db.pool.query(`insert into guild_blocklist (guild_id, kind, pattern, created_by) values ($1, 'word', 'gore', '1')`, [e2e.guild.id]);
});
afterAll(async () => {
  await e2e?.stop();
});

const body = (p: Played) => p.response.data as { flags?: number; embeds?: { description?: string }[] };
const technical = /Error|undefined|null|\{|node \d|stack|at .*\.ts|ZodError|SQL|violates/;

const cases: { category: string; options: Record<string, string | number>; says: RegExp }[] = [
  { category: 'over a limit (steps)', options: { prompt: 'a cat', steps: 80 }, says: /^`steps` 80 is over your limit of 40 steps\. Use 40 or fewer\.$/ },
  { category: 'over a limit (batch)', options: { prompt: 'a cat', batch: 4 }, says: /^`batch` 4 is over your limit of 2 images per request\. Ask for 2 or fewer\.$/ },
  { category: 'blocked prompt', options: { prompt: 'lots of gore here' }, says: /^Your prompt contains "gore", which this server does not allow\. Rephrase it and try again\.$/ },
  { category: 'blocked negative prompt', options: { prompt: 'a cat', negative: 'GORE' }, says: /^Your negative prompt contains "gore".*Rephrase it/ },
  { category: 'invalid option (size)', options: { prompt: 'a cat', size: '13x7' }, says: /^`size` must be WIDTHxHEIGHT, each a multiple of 8 .*\(e\.g\. 1024x1024\)/ },
  { category: 'invalid option (seed)', options: { prompt: 'a cat', seed: 'abc' }, says: /`seed`.*a whole number from 0 to 18446744073709551615/ },
  { category: 'missing model', options: { prompt: 'a cat', model: 'nowhere.safetensors' }, says: /`model`.*nowhere.*Pick one from the list/ },
];

describe('refusals a member understands', () => {
  test.each(cases)('$category: ephemeral, says what to change, nothing queued', async ({ options, says }) => {
    const player = e2e.playUser();
    const refused = await player.imagine(options);
    expect(refused.response.type).toBe(4);
    expect((body(refused).flags ?? 0) & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    const text = body(refused).embeds?.[0]?.description ?? '';
    expect(text).toMatch(says);
    expect(text).not.toMatch(technical);
    expect((await e2e.db.pool.query('select 1 from generation where user_id = $1', [player.user.id])).rowCount).toBe(0);
    expect(e2e.sim.violations).toEqual([]);
  });
});
