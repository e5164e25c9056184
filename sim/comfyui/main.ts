import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startComfySim } from './index.ts';

/** `npm run sim:comfyui -- --port 8188 [--seconds-per-step 0.05] [--previews] [--models models.json] [--newer]` */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8188' },
    host: { type: 'string', default: '127.0.0.1' },
    'seconds-per-step': { type: 'string' },
    previews: { type: 'boolean', default: false },
    models: { type: 'string' },
    'output-dir': { type: 'string' },
    newer: { type: 'boolean', default: false },
  },
});

const sim = await startComfySim({
  host: values.host,
  port: Number(values.port),
  secondsPerStep: values['seconds-per-step'] === undefined ? 0.05 : Number(values['seconds-per-step']),
  previews: values.previews,
  models: values.models ? (JSON.parse(readFileSync(values.models, 'utf8')) as Record<string, string[]>) : undefined,
  outputDir: values['output-dir'],
  objectInfo: values.newer ? 'newer' : 'default',
});
console.log(`ComfyUI stand-in listening on ${sim.url} (ws: ${sim.url.replace('http', 'ws')}/ws)\n  output dir: ${sim.outputDir}\n  input dir:  ${sim.inputDir}`);

const shutdown = () => void sim.close().then(() => process.exit(0));
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
