/**
 * What a member is told while image storage is failing: new GPU work is held until a write works
 * again (see scheduler/generation/storage-retry.ts), so a queued request waits longer than its place
 * in line suggests. Undefined while storage is healthy. Pure.
 */
export function storageNotice(failingSince: Date | null | undefined): string | undefined {
  if (!failingSince) return undefined;
  return 'Image storage is failing right now, so new images wait until it works again: this will take longer than usual. Nothing is lost; your request keeps its place.';
}
