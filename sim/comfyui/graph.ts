/** Graph helpers over a prompt: links, cycle detection, and ComfyUI's execution order (`comfy_execution/graph.py`). */
import { isDict, PyFloat, type PyDict, type PyValue } from './pyjson.ts';

export function isLink(v: PyValue | undefined): v is [string, bigint] {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && (typeof v[1] === 'bigint' || v[1] instanceof PyFloat);
}

function linksOf(prompt: PyDict, id: string): [string, PyValue][] {
  const node = prompt.get(id);
  const inputs = isDict(node) ? node.get('inputs') : undefined;
  if (!isDict(inputs)) return [];
  return [...inputs].filter(([, v]) => isLink(v)) as [string, PyValue][];
}

/** A dependency cycle reachable from `roots` as [a, b, ..., a], or undefined. */
export function findCycle(prompt: PyDict, roots: string[]): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (!prompt.has(id)) return undefined;
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'open') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'open');
    path.push(id);
    for (const [, link] of linksOf(prompt, id)) {
      const found = visit((link as [string, unknown])[0]);
      if (found) return found;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const r of roots) {
    const found = visit(r);
    if (found) return found;
  }
  return undefined;
}

/**
 * `ExecutionList`: nodes still to run (cached upstream nodes are skipped), picked the way
 * `ux_friendly_pick_node` does (output nodes first, then their direct and second-level inputs).
 */
export class ExecutionList {
  private readonly pending = new Map<string, true>();
  private readonly blockCount = new Map<string, number>();
  private readonly blocking = new Map<string, Set<string>>();
  private readonly prompt: PyDict;
  private readonly isCached: (id: string) => boolean;
  private readonly isOutput: (id: string) => boolean;

  constructor(prompt: PyDict, isCached: (id: string) => boolean, isOutput: (id: string) => boolean) {
    this.prompt = prompt;
    this.isCached = isCached;
    this.isOutput = isOutput;
  }

  addNode(rootId: string): void {
    const stack = [rootId];
    const links: [string, string][] = [];
    while (stack.length) {
      const id = stack.pop()!;
      if (this.pending.has(id)) continue;
      this.pending.set(id, true);
      this.blockCount.set(id, 0);
      this.blocking.set(id, new Set());
      for (const [, link] of linksOf(this.prompt, id)) {
        const from = (link as [string, unknown])[0];
        if (!this.isCached(from)) {
          stack.push(from);
          links.push([from, id]);
        }
      }
    }
    for (const [from, to] of links) {
      this.addNode(from);
      const blocked = this.blocking.get(from)!;
      if (!blocked.has(to)) {
        blocked.add(to);
        this.blockCount.set(to, this.blockCount.get(to)! + 1);
      }
    }
  }

  isEmpty(): boolean {
    return this.pending.size === 0;
  }

  /** Next node to run, or undefined when empty (or stuck on a cycle). */
  pick(): string | undefined {
    const ready = [...this.pending.keys()].filter((id) => this.blockCount.get(id) === 0);
    const feeds = (id: string, depth: number): boolean =>
      [...this.blocking.get(id)!].some((b) => (depth === 1 ? this.isOutput(b) : feeds(b, depth - 1)));
    return ready.find((id) => this.isOutput(id)) ?? ready.find((id) => feeds(id, 1)) ?? ready.find((id) => feeds(id, 2)) ?? ready[0];
  }

  complete(id: string): void {
    this.pending.delete(id);
    for (const blocked of this.blocking.get(id) ?? []) this.blockCount.set(blocked, this.blockCount.get(blocked)! - 1);
    this.blocking.delete(id);
  }
}
