import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerCommands } from '#bot/register-commands.ts';
import { startDiscordSim, type DiscordSim } from '#sim/discord/index.ts';

const run = promisify(execFile);
let sim: DiscordSim;

beforeAll(async () => {
  sim = await startDiscordSim();
});
afterAll(async () => {
  await sim?.close();
});

type Command = { name: string; options?: { name: string; autocomplete?: boolean; choices?: unknown[] }[] };

describe('commands:deploy', () => {
  test('registers /imagine, /quota, /generations, /generation, /genadmin, /queue, /models and /forget-me in a guild with one bulk PUT, valid against the spec', async () => {
    const guild = sim.addGuild({ channels: [{ name: 'gen' }] });
    const result = await registerCommands({ token: sim.token, applicationId: sim.applicationId, apiBase: sim.apiBase, guildId: guild.id });
    expect(result.scope).toBe('guild');
    const [imagine, quota, , , genadmin] = sim.commands(guild.id) as Command[];
    expect((sim.commands(guild.id) as Command[]).map((c) => c.name)).toEqual(['imagine', 'quota', 'generations', 'generation', 'genadmin', 'queue', 'models', 'forget-me']);
    expect(genadmin?.options?.map((o) => o.name)).toEqual(['limits', 'pause', 'resume', 'blocklist', 'model']);
    expect(quota?.name).toBe('quota');
    expect(quota?.options ?? []).toEqual([]);
    expect(imagine?.name).toBe('imagine');
    expect(imagine?.options?.map((o) => o.name)).toEqual(['prompt', 'negative', 'model', 'lora', 'lora_strength', 'size', 'steps', 'cfg', 'sampler', 'scheduler', 'seed', 'batch', 'image', 'strength', 'workflow']);
    expect(imagine?.options?.filter((o) => o.autocomplete).map((o) => o.name)).toEqual(['model', 'lora', 'size', 'sampler', 'workflow']);
    expect(sim.commands()).toEqual([]);
    const puts = sim.requests.filter((r) => r.method === 'PUT' && r.path.includes(`/guilds/${guild.id}/commands`));
    expect(puts).toHaveLength(1);
    expect(sim.violations).toEqual([]);
  });

  test('registers globally without a guild id; running it twice keeps the command ids', async () => {
    const first = await registerCommands({ token: sim.token, applicationId: sim.applicationId, apiBase: sim.apiBase });
    const second = await registerCommands({ token: sim.token, applicationId: sim.applicationId, apiBase: sim.apiBase });
    expect(first.scope).toBe('global');
    expect((sim.commands() as Command[]).map((c) => c.name)).toEqual(['imagine', 'quota', 'generations', 'generation', 'genadmin', 'queue', 'models', 'forget-me']);
    expect(second.commands[0]?.id).toBe(first.commands[0]?.id);
    expect(sim.violations).toEqual([]);
  });

  test('`node bot/deploy-commands.ts` registers in DISCORD_DEV_GUILD_ID', async () => {
    const guild = sim.addGuild({ channels: [{ name: 'dev' }] });
    const { stdout } = await run(process.execPath, ['bot/deploy-commands.ts'], {
      cwd: process.cwd(),
      env: {
        PATH: process.env.PATH, DISCORD_TOKEN: sim.token, DISCORD_APPLICATION_ID: sim.applicationId,
        DISCORD_API_BASE: sim.apiBase, DISCORD_DEV_GUILD_ID: guild.id, LOG_LEVEL: 'info',
      },
      timeout: 20_000,
    });
    expect(stdout).toContain('registered 8 command(s) in the dev guild');
    expect((sim.commands(guild.id) as Command[]).map((c) => c.name)).toEqual(['imagine', 'quota', 'generations', 'generation', 'genadmin', 'queue', 'models', 'forget-me']);
  });

  test('a bad token fails with a non-zero exit code', async () => {
    const attempt = run(process.execPath, ['bot/deploy-commands.ts'], {
      env: { PATH: process.env.PATH, DISCORD_TOKEN: 'wrong.token.value', DISCORD_APPLICATION_ID: sim.applicationId, DISCORD_API_BASE: sim.apiBase, LOG_LEVEL: 'info' },
      timeout: 20_000,
    });
    await expect(attempt).rejects.toMatchObject({ code: 1 });
  });
});
