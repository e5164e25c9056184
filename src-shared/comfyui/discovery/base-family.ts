/** A model's base family (sd15, sd2, sdxl, sd3, flux, …) from its safetensors header or its file name. */

/** A row of `model_family_rule`: a case-insensitive regular expression on the file name. */
export interface FamilyRule {
  pattern: string;
  family: string;
}

const architectures: [RegExp, string][] = [
  [/^stable-diffusion-v1/, 'sd15'],
  [/^stable-diffusion-v2/, 'sd2'],
  [/^stable-diffusion-xl/, 'sdxl'],
  [/^stable-diffusion-v3/, 'sd3'],
  [/^flux-1/, 'flux'],
];

const kohyaVersions: [RegExp, string][] = [
  [/^sd_v1/, 'sd15'],
  [/^sd_v2/, 'sd2'],
  [/^sdxl/, 'sdxl'],
  [/^sd3/, 'sd3'],
  [/^flux/, 'flux'],
];

/**
 * From a safetensors `__metadata__` as `/view_metadata` returns it: the model spec's
 * `modelspec.architecture` (checkpoints and LoRAs by Stability AI's spec), else kohya's
 * `ss_base_model_version` (most trained LoRAs). Undefined when neither says.
 */
export function familyFromMetadata(metadata: Record<string, unknown> | undefined): string | undefined {
  if (!metadata) return undefined;
  const arch = metadata['modelspec.architecture'];
  if (typeof arch === 'string') {
    const hit = architectures.find(([re]) => re.test(arch.toLowerCase()));
    if (hit) return hit[1];
  }
  const kohya = metadata.ss_base_model_version;
  if (typeof kohya === 'string') {
    const hit = kohyaVersions.find(([re]) => re.test(kohya.toLowerCase()));
    if (hit) return hit[1];
  }
  return undefined;
}

/** The first rule (in the given order) whose pattern matches the file name; a pattern that does not compile is skipped. */
export function familyFromName(fileName: string, rules: readonly FamilyRule[]): string | undefined {
  for (const rule of rules) {
    let re: RegExp;
    try {
      re = new RegExp(rule.pattern, 'i');
    } catch {
      continue;
    }
    if (re.test(fileName)) return rule.family;
  }
  return undefined;
}
