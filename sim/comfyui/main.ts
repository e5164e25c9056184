import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { simVersions, startComfySim, type SimVersion } from './index.ts';

/** `npm run sim:comfyui -- --port 8188 [--seconds-per-step 0.05] [--previews] [--models models.json] [--version 0.3.64|0.38] [--custom-node SimImageTint]` */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8188' },
    host: { type: 'string', default: '127.0.0.1' },
    'seconds-per-step': { type: 'string' },
    previews: { type: 'boolean', default: false },
    models: { type: 'string' },
    'output-dir': { type: 'string' },
    version: { type: 'string', default: '0.3.64' },
    /** Same as `--version 0.38` (kept for old scripts). */
    newer: { type: 'boolean', default: false },
    /** A custom node class to install (repeatable), e.g. `--custom-node SimImageTint`. */
    'custom-node': { type: 'string', multiple: true },
  },
});
const version = (values.newer ? '0.38' : values.version) as SimVersion;
if (!simVersions.includes(version)) {
  console.error(`--version must be one of ${simVersions.join(', ')} (got '${values.version}')`);
  process.exit(2);
}

const sim = await startComfySim({
  host: values.host,
  port: Number(values.port),
  secondsPerStep: values['seconds-per-step'] === undefined ? 0.05 : Number(values['seconds-per-step']),
  previews: values.previews,
  models: values.models ? (JSON.parse(readFileSync(values.models, 'utf8')) as Record<string, string[]>) : undefined,
  outputDir: values['output-dir'],
  version,
  customNodes: values['custom-node'],
});
console.log(`ComfyUI ${version} stand-in listening on ${sim.url} (ws: ${sim.url.replace('http', 'ws')}/ws)\n  output dir: ${sim.outputDir}\n  input dir:  ${sim.inputDir}`);

const shutdown = () => void sim.close().then(() => process.exit(0));
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
