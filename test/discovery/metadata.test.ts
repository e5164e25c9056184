import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ComfyClient } from '#shared/comfyui/client.ts';
import { familyFromMetadata, familyFromName } from '#shared/comfyui/discovery/base-family.ts';
import { discoverModels } from '#shared/comfyui/discovery/discover.ts';
import { seedInstances } from '#shared/db/sql/instances.ts';
import { createLogger } from '#shared/logging.ts';
import { startComfySim, type ComfySim } from '#sim/comfyui/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.ts';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
let tdb: TestDatabase;
let plain: ComfySim;
let custom: ComfySim;

beforeAll(async () => {
  tdb = await createTestDatabase();
  [plain, custom] = await Promise.all([
    startComfySim({
      models: { checkpoints: ['sd_xl_base_1.0.safetensors', 'mystery.safetensors', 'ponyDiffusionV6.safetensors', 'flux1-dev.sft'], loras: ['add_detail.safetensors', 'detail_tweaker_xl.safetensors'] },
      modelMetadata: { 'checkpoints/mystery.safetensors': { 'modelspec.architecture': 'flux-1-dev' } },
    }),
    startComfySim({ customNodes: ['SimImageTint'], models: { checkpoints: ['dreamshaper_8.safetensors', 'unknown_model.safetensors'], loras: [] } }),
  ]);
  const seed = seedInstances([plain.url, custom.url]);
  await tdb.pool.query(seed.text, seed.values);
});
afterAll(async () => {
  await Promise.all([plain.close(), custom.close()]);
  await tdb.drop();
});

const discover = () => discoverModels({ pool: tdb.pool, logger, enableNew: true, clientFor: (i) => new ComfyClient({ baseUrl: i.baseUrl, logger, retries: 0 }) });

describe('discovery: node classes and base families', () => {
  test('stores each instance\'s node classes; a custom node only on the instance that has it', async () => {
    await discover();
    const { rows } = await tdb.pool.query<{ base_url: string; node_classes: string[] }>('select base_url, node_classes from comfy_instance');
    const of = (url: string) => rows.find((r) => r.base_url === url)!.node_classes;
    expect(of(custom.url)).toContain('SimImageTint');
    expect(of(plain.url)).not.toContain('SimImageTint');
    expect(of(plain.url)).toEqual(expect.arrayContaining(['KSampler', 'CheckpointLoaderSimple', 'SaveImage']));
  });

  test('families from the safetensors header first, then the naming rules; an operator\'s value is kept; the rules are editable', async () => {
    await tdb.pool.query(`update model set base_family = 'custom' where file_name = 'ponyDiffusionV6.safetensors'`);
    await tdb.pool.query(`update model set base_family = null where file_name <> 'ponyDiffusionV6.safetensors'`);
    await tdb.pool.query(`insert into model_family_rule (position, pattern, family) values (5, '^unknown_', 'sd15')`);
    await discover();
    const { rows } = await tdb.pool.query<{ file_name: string; base_family: string | null }>(`select file_name, base_family from model where kind in ('checkpoint', 'lora') order by file_name`);
    expect(Object.fromEntries(rows.map((r) => [r.file_name, r.base_family]))).toEqual({
      'add_detail.safetensors': 'sd15', // kohya ss_base_model_version sd_v1
      'detail_tweaker_xl.safetensors': 'sdxl',
      'dreamshaper_8.safetensors': 'sd15', // no header metadata: naming rule
      'flux1-dev.sft': 'flux', // not a .safetensors name: naming rule
      'mystery.safetensors': 'flux', // modelspec.architecture
      'ponyDiffusionV6.safetensors': 'custom',
      'sd_xl_base_1.0.safetensors': 'sdxl',
      'unknown_model.safetensors': 'sd15', // the rule added above
    });
  });

  test('pure mapping', () => {
    expect(familyFromMetadata({ 'modelspec.architecture': 'stable-diffusion-xl-v1-base/lora' })).toBe('sdxl');
    expect(familyFromMetadata({ ss_base_model_version: 'sd_v2_768_v' })).toBe('sd2');
    expect(familyFromMetadata({ ss_v2: 'False' })).toBeUndefined();
    expect(familyFromName('SDXL/juggernautXL_v9.safetensors', [{ pattern: '(', family: 'x' }, { pattern: 'xl', family: 'sdxl' }])).toBe('sdxl');
  });
});
