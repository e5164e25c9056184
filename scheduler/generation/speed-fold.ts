/**
 * An instance's rolling seconds per step takes each measured speed s as avg ← avg·0.8 + s·0.2. Applied
 * for several speeds in order that is avg·scale + add, and with no average yet (the first speed
 * starts it) `initial`. Lets a batch of speeds be written in one statement. Pure.
 */
export function foldSpeeds(speeds: number[]): { scale: number; add: number; initial: number } | undefined {
  if (speeds.length === 0) return undefined;
  let scale = 1;
  let add = 0;
  let initial = speeds[0]!;
  for (const [i, s] of speeds.entries()) {
    scale *= 0.8;
    add = add * 0.8 + s * 0.2;
    if (i > 0) initial = initial * 0.8 + s * 0.2;
  }
  return { scale, add, initial };
}
