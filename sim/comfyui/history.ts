/** Finished prompts (`PromptQueue.history`), oldest first, at most 10000. */
import type { Loose } from './pyjson.ts';

export const MAXIMUM_HISTORY_SIZE = 10000;

export type HistoryEntry = Map<string, Loose>;

export class History {
  private readonly entries = new Map<string, HistoryEntry>();

  put(promptId: string, entry: HistoryEntry): void {
    if (this.entries.size >= MAXIMUM_HISTORY_SIZE && !this.entries.has(promptId)) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(promptId, entry);
  }

  get(promptId: string): HistoryEntry | undefined {
    return this.entries.get(promptId);
  }

  /** `get_history(max_items, offset)` window over all entries. */
  window(maxItems: number | undefined, offset: number): Map<string, HistoryEntry> {
    const out = new Map<string, HistoryEntry>();
    let start = offset;
    if (start < 0 && maxItems !== undefined) start = this.entries.size - maxItems;
    let i = 0;
    for (const [k, v] of this.entries) {
      if (i >= start) {
        out.set(k, v);
        if (maxItems !== undefined && out.size >= maxItems) break;
      }
      i++;
    }
    return out;
  }

  delete(promptId: string): void {
    this.entries.delete(promptId);
  }

  clear(): void {
    this.entries.clear();
  }
}
