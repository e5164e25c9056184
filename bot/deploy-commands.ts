import { loadConfigOrExit } from '#shared/config.ts';
import { createLogger } from '#shared/logging.ts';
import { exitIfStartupProblem, guardStartup, startupContextFrom } from '#shared/startup-errors.ts';
import { registerCommands } from './register-commands.ts';

/** `npm run commands:deploy`: registers the slash commands (in DISCORD_DEV_GUILD_ID if set, else globally). */
const config = loadConfigOrExit('commands:deploy');
const logger = createLogger({ level: config.LOG_LEVEL, name: 'commands:deploy' });
const startup = startupContextFrom(config);
guardStartup(logger, startup);
try {
  const result = await registerCommands({
    token: config.DISCORD_TOKEN,
    applicationId: config.DISCORD_APPLICATION_ID,
    apiBase: config.DISCORD_API_BASE,
    guildId: config.DISCORD_DEV_GUILD_ID,
  });
  logger.info(
    { scope: result.scope, guildId: config.DISCORD_DEV_GUILD_ID, commands: result.commands.map((c) => c.name) },
    `registered ${result.commands.length} command(s) ${result.scope === 'guild' ? 'in the dev guild' : 'globally (may take a while to show)'}`,
  );
} catch (err) {
  exitIfStartupProblem(err, startup, 'commands:deploy');
  logger.error({ err }, 'command registration failed');
  process.exitCode = 1;
}
