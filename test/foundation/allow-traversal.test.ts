import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { allowTraversal } from '../../scripts/demo/allow-traversal.ts';

test('folders above the embedded PostgreSQL that others cannot pass through get o+x, and only that bit', () => {
  const top = mkdtempSync(path.join(tmpdir(), 'gn-traverse-'));
  try {
    const inner = path.join(top, 'private', 'node_modules');
    mkdirSync(inner, { recursive: true, mode: 0o700 });
    const mode = (p: string) => statSync(p).mode & 0o777;
    const changed = allowTraversal([inner]);
    expect(changed).toEqual(expect.arrayContaining([inner, path.dirname(inner), top]));
    for (const p of [top, path.dirname(inner), inner]) expect(mode(p)).toBe(0o701);
    expect(allowTraversal([inner])).toEqual([]);
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});
