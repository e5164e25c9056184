import { generationStatuses } from '#shared/db/entities/generation.ts';
import { modelKinds } from '#shared/db/entities/model.ts';

/** The console's files, served from this folder; `constants.js` is written from the server's own lists so the page cannot drift from them. */
export const consoleDir = import.meta.dirname;

export interface ConsoleAsset {
  file?: string;
  text?: string;
  type: string;
}

const script = 'text/javascript; charset=utf-8';

export const consoleAssets: Record<string, ConsoleAsset> = {
  'favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
  'console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
  'app.js': { file: 'app.js', type: script },
  'api.js': { file: 'api.js', type: script },
  'dom.js': { file: 'dom.js', type: script },
  'models.js': { file: 'models.js', type: script },
  'instances.js': { file: 'instances.js', type: script },
  'generations.js': { file: 'generations.js', type: script },
  'constants.js': {
    text: `export const modelKinds = ${JSON.stringify(modelKinds)};\nexport const generationStatuses = ${JSON.stringify(generationStatuses)};\n`,
    type: script,
  },
};

export const consoleAssetNames = Object.keys(consoleAssets);
