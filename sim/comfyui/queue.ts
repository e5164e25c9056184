/** `execution.PromptQueue`: a binary heap with Python `heapq` semantics, plus the running set. */
import { PyFloat, type Loose, type PyDict, type PyValue } from './pyjson.ts';

export interface QueueItem {
  /** int (server counter) or float (client `number`). */
  number: bigint | PyFloat;
  promptId: string;
  prompt: PyDict;
  /** Whatever the client sent as `extra_data` (BASELINE queues a list or string as is). */
  extraData: PyValue;
  outputs: string[];
}

const numeric = (n: bigint | PyFloat): number => (n instanceof PyFloat ? n.value : Number(n));

function less(a: QueueItem, b: QueueItem): boolean {
  const x = numeric(a.number);
  const y = numeric(b.number);
  if (x !== y) return x < y;
  return a.promptId < b.promptId;
}

/** The 5-tuple ComfyUI shows in `/queue` and history. */
export function itemTuple(item: QueueItem): Loose[] {
  return [item.number, item.promptId, item.prompt, item.extraData, item.outputs];
}

export class PromptHeap {
  private heap: QueueItem[] = [];

  get size(): number {
    return this.heap.length;
  }

  /** The heap array as it is (not sorted), like `queue_pending`. */
  items(): readonly QueueItem[] {
    return this.heap;
  }

  push(item: QueueItem): void {
    this.heap.push(item);
    this.siftDown(0, this.heap.length - 1);
  }

  pop(): QueueItem | undefined {
    const last = this.heap.pop();
    if (!last || this.heap.length === 0) return last;
    const top = this.heap[0]!;
    this.heap[0] = last;
    this.siftUp(0);
    return top;
  }

  clear(): void {
    this.heap = [];
  }

  /** Removes the item at index and re-heapifies (`queue.pop(x); heapq.heapify(queue)`). */
  removeAt(index: number): void {
    this.heap.splice(index, 1);
    for (let i = Math.floor(this.heap.length / 2) - 1; i >= 0; i--) this.siftUp(i);
  }

  // heapq._siftdown: move the new item at `pos` up towards `start`.
  private siftDown(start: number, pos: number): void {
    const item = this.heap[pos]!;
    while (pos > start) {
      const parentPos = (pos - 1) >> 1;
      const parent = this.heap[parentPos]!;
      if (!less(item, parent)) break;
      this.heap[pos] = parent;
      pos = parentPos;
    }
    this.heap[pos] = item;
  }

  // heapq._siftup: bubble the smaller child up until hitting a leaf, then _siftdown.
  private siftUp(pos: number): void {
    const end = this.heap.length;
    const start = pos;
    const item = this.heap[pos]!;
    let child = 2 * pos + 1;
    while (child < end) {
      const right = child + 1;
      if (right < end && !less(this.heap[child]!, this.heap[right]!)) child = right;
      this.heap[pos] = this.heap[child]!;
      pos = child;
      child = 2 * pos + 1;
    }
    this.heap[pos] = item;
    this.siftDown(start, pos);
  }
}

