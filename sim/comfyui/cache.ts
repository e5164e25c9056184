/** Classic output cache (`comfy_execution/caching.py`): keyed by input signature, only the last prompt kept. */
import { statSync } from 'node:fs';
import path from 'node:path';
import { annotated, dirFor, type SimDirs } from './files.ts';
import { isLink } from './graph.ts';
import { fingerprintOf } from './images.ts';
import { pyGetItem } from './pycontainers.ts';
import { dumps, isDict, str, typeName, type Loose, type PyDict } from './pyjson.ts';
import { NodeFailure, PyException } from './pyops.ts';

export interface CachedUi {
  output: Loose;
  meta: Loose;
}

/**
 * Signature of every node: class, literal inputs and the signatures of linked upstream nodes. Like
 * `CacheKeySetInputSignature.add_keys` this covers every node of the prompt, validated or not, and fails
 * the same way on a node without a dict of `inputs` (NodeFailure naming it).
 */
export function signatures(prompt: PyDict, dirs: SimDirs): Map<string, string> {
  const sigs = new Map<string, string>();
  const visiting = new Set<string>();
  const sigOf = (id: string): string => {
    const known = sigs.get(id);
    if (known) return known;
    const node = prompt.get(id);
    if (!isDict(node) || visiting.has(id)) return `missing:${id}`;
    visiting.add(id);
    const inputs = inputsOf(id, node);
    const parts: unknown[] = [str(node.get('class_type') ?? null)];
    for (const name of [...inputs.keys()].sort()) {
      const v = inputs.get(name)!;
      parts.push(name, isLink(v) ? ['link', sigOf(v[0]), dumps(v[1])] : dumps(v));
    }
    if (node.get('class_type') === 'LoadImage') parts.push(isChangedLoadImage(str(inputs.get('image') ?? null), dirs));
    visiting.delete(id);
    const sig = fingerprintOf(parts);
    sigs.set(id, sig);
    return sig;
  };
  for (const id of prompt.keys()) sigOf(id);
  return sigs;
}

/** `node["inputs"]` then `sorted(inputs.keys())`, as `get_ordered_ancestry_internal` reads them. */
function inputsOf(id: string, node: PyDict): PyDict {
  try {
    const inputs = pyGetItem(node, 'inputs');
    if (!isDict(inputs)) throw new PyException('AttributeError', `'${typeName(inputs)}' object has no attribute 'keys'`);
    return inputs;
  } catch (ex) {
    if (ex instanceof PyException) throw new NodeFailure(id, ex);
    throw ex;
  }
}

function isChangedLoadImage(image: string, dirs: SimDirs): string {
  const { name, type } = annotated(image);
  try {
    const st = statSync(path.join(dirFor(dirs, type ?? 'input')!, name));
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

export class OutputCache {
  private outputs = new Map<string, unknown[]>();
  private ui = new Map<string, CachedUi>();

  /** `set_prompt` + `clean_unused`: forget everything the new prompt does not use. */
  setPrompt(sigs: Iterable<string>): void {
    const keep = new Set(sigs);
    for (const k of [...this.outputs.keys()]) if (!keep.has(k)) this.outputs.delete(k);
    for (const k of [...this.ui.keys()]) if (!keep.has(k)) this.ui.delete(k);
  }

  getOutputs(sig: string): unknown[] | undefined {
    return this.outputs.get(sig);
  }

  getUi(sig: string): CachedUi | undefined {
    return this.ui.get(sig);
  }

  set(sig: string, outputs: unknown[], ui: CachedUi | undefined): void {
    this.outputs.set(sig, outputs);
    if (ui) this.ui.set(sig, ui);
  }

  reset(): void {
    this.outputs.clear();
    this.ui.clear();
  }
}
