import { fileURLToPath } from 'node:url';
import { REST } from '@discordjs/rest';
import { Routes, type RESTGetAPIGatewayBotResult } from 'discord-api-types/v10';
import { ShardingManager } from 'discord.js';
import { loadConfigOrExit } from '#shared/config.ts';
import { createLogger } from '#shared/logging.ts';
import { describeStartupError, startupContextFrom } from '#shared/startup-errors.ts';
import { guardProcess, stopOnSignals } from '#shared/shutdown.ts';
import { planShards } from './shard-plan.ts';

/**
 * `npm run bot:shards`: discord.js's ShardingManager runs `bot/main.ts` once per shard (BOT_SHARDS of them), each a
 * child process that connects as shard [id, BOT_SHARDS] (discord.js reads SHARDS / SHARD_COUNT from the environment
 * the manager gives it), so Discord sends each guild's interactions to one process only. A shard that dies is
 * started again.
 */
const config = loadConfigOrExit('bot:shards');
const logger = createLogger({ level: config.LOG_LEVEL, name: 'shard-manager' });

let gateway: RESTGetAPIGatewayBotResult;
try {
  gateway = (await new REST({ api: config.DISCORD_API_BASE }).setToken(config.DISCORD_TOKEN).get(Routes.gatewayBot())) as RESTGetAPIGatewayBotResult;
} catch (err) {
  const line = describeStartupError(err, startupContextFrom(config));
  if (line) process.stderr.write(`shard-manager: ${line}\n`);
  else logger.fatal({ err }, 'could not read GET /gateway/bot');
  process.exit(1);
}
const plan = planShards(config.BOT_SHARDS, gateway);
if (!plan.ok) {
  process.stderr.write(`shard-manager: ${plan.problem}\n`);
  process.exit(1);
}

let stopping = false;
// totalShards is a number on purpose: 'auto' asks discord.com itself, whatever DISCORD_API_BASE says.
const manager = new ShardingManager(fileURLToPath(new URL('./main.ts', import.meta.url)), {
  totalShards: config.BOT_SHARDS,
  token: config.DISCORD_TOKEN,
  mode: 'process',
  respawn: true,
});
manager.on('shardCreate', (shard) => {
  logger.info({ shard: shard.id }, 'shard process started');
  shard.on('death', (child) => {
    if (!stopping) logger.warn({ shard: shard.id, exitCode: 'exitCode' in child ? child.exitCode : undefined }, 'shard process exited; starting it again');
  });
});

const shutdown = stopOnSignals(logger, async () => {
  stopping = true;
  // Each shard stops like `npm run bot` does on SIGTERM: it finishes the interactions in flight first.
  await Promise.all(
    [...manager.shards.values()].map((shard) => {
      const child = shard.process;
      if (!child || child.exitCode !== null) return undefined;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      shard.kill();
      return exited;
    }),
  );
}, { forceAfterMs: 15_000 });
guardProcess(logger, shutdown);

try {
  await manager.spawn({ delay: plan.spawnDelayMs, timeout: 60_000 });
  logger.info({ shards: config.BOT_SHARDS }, 'every shard is ready');
} catch (err) {
  logger.fatal({ err }, 'a shard did not become ready');
  process.exitCode = 1;
  shutdown('a shard did not become ready');
}
