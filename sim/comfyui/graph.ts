/** Graph helpers over a prompt: links and ComfyUI's execution order (`comfy_execution/graph.py`). */
import { isDict, PyFloat, type PyDict, type PyValue } from './pyjson.ts';
import { NodeFailure, PyException } from './pyops.ts';

export type Link = [string, bigint | boolean | PyFloat];

/** `graph_utils.is_link`: `[str, int | float]`, where a bool is an int too. */
export function isLink(v: PyValue | undefined): v is Link {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && (typeof v[1] === 'bigint' || typeof v[1] === 'boolean' || v[1] instanceof PyFloat);
}

function linksOf(prompt: PyDict, id: string): [string, PyValue][] {
  const node = prompt.get(id);
  const inputs = isDict(node) ? node.get('inputs') : undefined;
  if (!isDict(inputs)) return [];
  return [...inputs].filter(([, v]) => isLink(v)) as [string, PyValue][];
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

  /**
   * `add_node`. A link to a node the prompt lacks (possible only through an input the class does not
   * declare, which validation skips) makes `dynprompt.get_node` raise; NodeFailure names the linking node.
   */
  addNode(rootId: string): void {
    const stack: [string, string][] = [[rootId, rootId]];
    const links: [string, string][] = [];
    while (stack.length) {
      const [id, linkedFrom] = stack.pop()!;
      if (this.pending.has(id)) continue;
      if (!this.prompt.has(id)) throw new NodeFailure(linkedFrom, new PyException('comfy_execution.graph.NodeNotFoundError', `Node ${id} not found`));
      this.pending.set(id, true);
      this.blockCount.set(id, 0);
      this.blocking.set(id, new Set());
      for (const [, link] of linksOf(this.prompt, id)) {
        const from = (link as [string, unknown])[0];
        if (!this.isCached(from)) {
          stack.push([from, id]);
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

  /** `get_nodes_in_cycle`: pending nodes left after repeatedly dissolving those nothing pending blocks. */
  nodesInCycle(): string[] {
    const blockedBy = new Map([...this.pending.keys()].map((id): [string, Set<string>] => [id, new Set()]));
    for (const [from, tos] of this.blocking) for (const to of tos) blockedBy.get(to)?.add(from);
    for (;;) {
      const free = [...blockedBy].filter(([, by]) => by.size === 0).map(([id]) => id);
      if (free.length === 0) return [...blockedBy.keys()];
      for (const id of free) {
        blockedBy.delete(id);
        for (const by of blockedBy.values()) by.delete(id);
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
