// npm run models:refresh — discovers models on every enabled ComfyUI instance once and prints what changed.
import { discoverModels } from '#shared/comfyui/discovery/discover.ts';
import { formatSummary } from '#shared/comfyui/discovery/summary.ts';
import { loadConfigOrExit } from '#shared/config.ts';
import { storeConfiguredAuthorizations } from '#shared/comfyui/instance-access.ts';
import { asDb, createPool } from '#shared/db/pool.ts';
import { seedInstances } from '#shared/db/sql/instances.ts';
import { createLogger } from '#shared/logging.ts';
import { exitIfStartupProblem, guardStartup, startupContextFrom } from '#shared/startup-errors.ts';

const config = loadConfigOrExit('models:refresh');
const log = createLogger({ level: config.LOG_LEVEL, name: 'models:refresh' });
const startup = startupContextFrom(config);
guardStartup(log, startup);
const pool = createPool(config.DATABASE_URL, { max: 4 });

try {
  const seed = seedInstances(config.COMFYUI_URLS);
  await pool.query(seed.text, seed.values);
  await storeConfiguredAuthorizations(asDb(pool), config.COMFYUI_AUTHORIZATIONS);
  const summary = await discoverModels({ pool, logger: log, enableNew: config.MODELS_ENABLE_NEW });
  process.stdout.write(formatSummary(summary));
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(summary)}\n`);
} catch (err) {
  exitIfStartupProblem(err, startup, 'models:refresh');
  log.error({ err }, 'model discovery failed');
  process.exitCode = 1;
} finally {
  await pool.end();
}
