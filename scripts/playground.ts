// npm run playground [-- --port 3300] [-- --seconds-per-step 0.1]: the whole product on the stand-ins, and a web page
// on the stand-in Discord showing its #general as a member sees it; type /imagine there and press the buttons.
// Uses DATABASE_URL (environment or .env) or else the demo's embedded PostgreSQL in ./data/demo-postgres.
// Runs until Ctrl-C, which stops everything it started (PostgreSQL included).
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger } from '#shared/logging.ts';
import { exitIfStartupProblem, guardStartup, type StartupContext } from '#shared/startup-errors.ts';
import { openDemoDatabase } from './demo/database.ts';
import { startPlayground } from './playground/stack.ts';
import { stopOnSignals } from './demo/stop-on-signal.ts';

if (existsSync('.env')) process.loadEnvFile('.env');
const { values } = parseArgs({ options: { port: { type: 'string', default: '3300' }, 'seconds-per-step': { type: 'string', default: '0.1' } } });
const port = Number(values.port);
const secondsPerStep = Number(values['seconds-per-step']);
if (!Number.isInteger(port) || port < 0 || port > 65535 || !(secondsPerStep >= 0)) {
  process.stderr.write('playground: --port takes a port number (0 = any free one), --seconds-per-step a number of seconds\n');
  process.exit(2);
}
// After Ctrl-C the log goes quiet: the signal reaches the embedded PostgreSQL too, and the connections it drops
// while the roles stop are expected, not news.
let quiet = false;
const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', name: 'playground', destination: { write: (line: string) => void (quiet || process.stdout.write(line)) } });
const startup: StartupContext = { databaseUrl: process.env.DATABASE_URL, listenPorts: { '--port': port } };
const disarmStartupGuard = guardStartup(logger, startup);
const say = (line: string) => process.stdout.write(`${line}\n`);

const { cleanups, stopAll, signalled } = stopOnSignals({
  logger,
  say,
  disarmStartupGuard,
  onSignal: () => {
    quiet = true;
  },
});

try {
  const database = await openDemoDatabase(process.env.DATABASE_URL, say);
  startup.databaseUrl = database.url;
  cleanups.push(() => database.stop());
  say(`database: ${database.description}`);
  const playground = await startPlayground({ databaseUrl: database.url, logger, port, secondsPerStep, storageDir: process.env.STORAGE_DIR ?? 'data/playground-images', say });
  cleanups.push(() => playground.stop());
  say(`\nplayground ready: open ${playground.url}\n(Ctrl-C stops everything)`);
} catch (err) {
  await stopAll();
  if (signalled()) process.exit(130);
  exitIfStartupProblem(err, startup, 'playground');
  logger.fatal({ err }, 'playground failed');
  process.exit(1);
}
