import { AppError, ErrorCode } from '../../errors.ts';

export const maxSeed = 2n ** 64n - 1n;

/** Parses a decimal uint64 seed string (0..2^64-1) into a bigint without ever using a JS number. */
export function parseSeed(seed: string): bigint {
  if (!/^\d{1,20}$/.test(seed)) {
    throw new AppError(ErrorCode.Validation, `seed '${seed}' is not a decimal whole number — use digits only, 0 to ${maxSeed}`);
  }
  const value = BigInt(seed);
  if (value > maxSeed) {
    throw new AppError(ErrorCode.Validation, `seed ${seed} is above the maximum ${maxSeed} — lower it`);
  }
  return value;
}
