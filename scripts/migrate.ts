// npm run migrate [-- up | down | create <name>]
import { loadConfigOrExit } from '#shared/config.ts';
import { ensureDatabase } from '#shared/db/ensure-database.ts';
import { createMigration, migrate } from '#shared/db/migrate.ts';
import { createLogger } from '#shared/logging.ts';
import { exitIfStartupProblem, guardStartup, startupContextFrom } from '#shared/startup-errors.ts';

const config = loadConfigOrExit('migrate');
const log = createLogger({ level: config.LOG_LEVEL, name: 'migrate' });
const startup = startupContextFrom(config);
guardStartup(log, startup);
const [command = 'up', name] = process.argv.slice(2);

try {
  if (command === 'up' || command === 'down') {
    if (command === 'up' && (await ensureDatabase(config.DATABASE_URL))) log.info('created the database');
    const { applied } = await migrate(config.DATABASE_URL, command);
    log.info({ applied }, applied.length ? `${command}: ${applied.join(', ')}` : `${command}: nothing to do`);
  } else if (command === 'create') {
    const file = await createMigration(config.DATABASE_URL, name);
    log.info({ file }, `created ${file}`);
  } else {
    process.stderr.write(`usage: npm run migrate -- [up | down | create <name>]\n`);
    process.exit(64);
  }
} catch (err) {
  exitIfStartupProblem(err, startup, 'migrate');
  log.error({ err }, 'migration failed');
  process.exitCode = 1;
}
