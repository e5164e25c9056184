import { chmodSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` user, which must be able to
 * reach its binaries (in node_modules) and its data folder: a folder above them that others cannot
 * pass through (a checkout under a private `mktemp -d`) makes initdb fail with EACCES. Adds only the
 * pass-through bit (o+x, no listing) to such folders; returns the ones it changed.
 */
export function allowTraversal(dirs: string[]): string[] {
  const changed = new Set<string>();
  for (const dir of dirs) {
    for (let d = path.resolve(dir); ; d = path.dirname(d)) {
      const mode = statSync(d).mode;
      if ((mode & 0o001) === 0) {
        chmodSync(d, mode | 0o001);
        changed.add(d);
      }
      if (path.dirname(d) === d) break;
    }
  }
  return [...changed];
}
