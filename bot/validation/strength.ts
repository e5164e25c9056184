import type { OptionProblem } from './imagine-options.ts';

/** `/imagine strength:` — ComfyUI's denoise when starting from a picture (1 = ignore it). */
export const strengthLimits = { min: 0.05, max: 1 } as const;
export const defaultStrength = 0.6;
export const strengthAllowed = `a number from ${strengthLimits.min} to ${strengthLimits.max}`;

/** Repeats Discord's min/max check (a hand-made payload skips it); absent = the default. Pure. */
export function parseStrength(value: number | null | undefined): { ok: true; value: number } | { ok: false; problem: OptionProblem } {
  if (value === null || value === undefined) return { ok: true, value: defaultStrength };
  if (!Number.isFinite(value) || value < strengthLimits.min || value > strengthLimits.max) {
    return { ok: false, problem: { option: 'strength', allowed: strengthAllowed, message: `\`strength\`: expected ${strengthAllowed}.` } };
  }
  return { ok: true, value };
}

export const strengthWithoutImage: OptionProblem = { option: 'strength', allowed: strengthAllowed, message: '`strength`: attach an `image` to change, or leave `strength` out.' };
