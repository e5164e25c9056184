import type { InputValue, PromptGraph } from './graph.ts';

/** Adds nodes with sequential string ids ("1", "2", …) in build order. */
export class GraphBuilder {
  readonly graph: PromptGraph = {};
  #next = 1;

  add(classType: string, inputs: Record<string, InputValue>, title?: string): string {
    const id = String(this.#next++);
    this.graph[id] = { class_type: classType, inputs, ...(title ? { _meta: { title } } : {}) };
    return id;
  }
}
