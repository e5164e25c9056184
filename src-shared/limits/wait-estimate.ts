/**
 * How long a request joining the line now would wait: the requests ahead of it, spread over the
 * image servers that are up, times the typical run of a recent request. null when there is no
 * recent run to go by or no server is up. Pure.
 */
export function estimateWaitSeconds(waiting: number, recentRunSeconds: number | null, serversUp: number): number | null {
  if (recentRunSeconds === null || serversUp < 1) return null;
  return Math.ceil(waiting / serversUp) * recentRunSeconds;
}
