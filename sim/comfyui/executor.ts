/** `PromptExecutor.execute_async` on the simulated GPU: the event sequence of API.md §5.4. */
import { OutputCache, signatures } from './cache.ts';
import type { SimDirs } from './files.ts';
import { ExecutionList, isLink } from './graph.ts';
import type { ModelRegistry } from './models.ts';
import { NODE_FUNCTIONS, type NodeContext, type Sym } from './nodes.ts';
import { PyFloat, str, type Loose, type PyDict, type PyValue } from './pyjson.ts';
import { PyException } from './pyops.ts';
import type { QueueItem } from './queue.ts';
import type { SocketHub } from './websocket.ts';
import { renderPreview } from './images.ts';

export class InterruptProcessing extends Error {}
/** Thrown inside a run when the server "crashed": the run vanishes without events or history. */
export class Crashed extends Error {}

export interface ExecHost {
  hub: SocketHub;
  models: ModelRegistry;
  dirs: SimDirs;
  cache: OutputCache;
  previews: boolean;
  isOutputClass(classType: string): boolean;
  secondsPerStep(): number;
  /** Resolves when not paused; throws Crashed if the server died meanwhile. */
  holdIfPaused(): Promise<void>;
  assertAlive(): void;
  /** Reads and clears the interrupt flag. */
  takeInterrupt(): boolean;
  clearInterrupt(): void;
  takeOom(): boolean;
  progressSent(): void;
  setRunningNode(node: string | undefined): void;
  onMessage(event: string, promptId: string): void;
}

export interface ExecOutcome {
  success: boolean;
  messages: Loose[];
  outputs: Map<string, Loose>;
  meta: Map<string, Loose>;
}

const OOM_TIP = 'This error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you might have accidentally set the batch_size to a large number.';
const OBJECT_NAMES: Record<string, string> = {
  MODEL: 'comfy.model_patcher.ModelPatcher', CLIP: 'comfy.sd.CLIP', VAE: 'comfy.sd.VAE', IMAGE: 'torch.Tensor', MASK: 'torch.Tensor',
};

function formatInput(v: unknown): Loose {
  if (v === null || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'bigint' || v instanceof PyFloat) return v;
  const s = v as Sym;
  if (s.kind === 'LATENT') return `{'samples': tensor(..., size=[${s.items?.length ?? 1}, 4, ${(s.height ?? 8) / 8}, ${(s.width ?? 8) / 8}])}`;
  if (s.kind === 'CONDITIONING') return '[[tensor(...), {...}]]';
  return `<${OBJECT_NAMES[s.kind] ?? 'object'} object at 0x7f3a2c1b5e50>`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function executePrompt(host: ExecHost, item: QueueItem): Promise<ExecOutcome> {
  const { promptId, prompt } = item;
  const clientId = item.extraData.has('client_id') ? str(item.extraData.get('client_id')!) : undefined;
  const messages: Loose[] = [];
  const addMessage = (event: string, data: Record<string, Loose>, broadcast: boolean) => {
    const full = { ...data, timestamp: Date.now() };
    messages.push([event, full]);
    if (clientId !== undefined || broadcast) host.hub.send(event, full, clientId ?? null);
    host.onMessage(event, promptId);
  };
  const toClient = (event: string, data: Loose) => {
    if (clientId !== undefined) host.hub.send(event, data, clientId);
  };
  const toClientOrAll = (event: string, data: Loose) => host.hub.send(event, data, clientId ?? null);

  host.clearInterrupt();
  addMessage('execution_start', { prompt_id: promptId }, false);
  const sigs = signatures(prompt, host.dirs);
  host.cache.setPrompt(sigs.values());
  const cachedAtStart = [...prompt.keys()].filter((id) => host.cache.getOutputs(sigs.get(id)!) !== undefined);
  addMessage('execution_cached', { nodes: cachedAtStart, prompt_id: promptId }, false);

  const progress = new Map<string, Record<string, Loose>>();
  const sendProgressState = () => toClientOrAll('progress_state', { prompt_id: promptId, nodes: new Map(progress) });
  const setProgress = (id: string, state: string, value: Loose, max: Loose) => {
    progress.set(id, { value, max, state, node_id: id, prompt_id: promptId, display_node_id: id, parent_node_id: null, real_node_id: id });
    sendProgressState();
  };
  const classOf = (id: string) => (prompt.get(id) as PyDict).get('class_type') as string;
  const cachedNow = (id: string) => host.cache.getOutputs(sigs.get(id)!) !== undefined;
  const list = new ExecutionList(prompt, cachedNow, (id) => host.isOutputClass(classOf(id)));
  for (const o of item.outputs) list.addNode(o);

  const executed: string[] = [];
  let success = true;
  for (let id = list.pick(); id !== undefined; id = list.pick()) {
    const nodeId = id;
    const sig = sigs.get(nodeId)!;
    const cached = host.cache.getOutputs(sig);
    if (cached !== undefined) {
      toClient('executed', { node: nodeId, display_node: nodeId, output: host.cache.getUi(sig)?.output ?? null, prompt_id: promptId });
      const max = progress.get(nodeId)?.max ?? new PyFloat(1);
      setProgress(nodeId, 'finished', max, max);
      list.complete(nodeId);
      continue;
    }
    const inputs = new Map<string, unknown>();
    try {
      setProgress(nodeId, 'running', new PyFloat(0), new PyFloat(1));
      toClient('executing', { node: nodeId, display_node: nodeId, prompt_id: promptId });
      host.setRunningNode(nodeId);
      for (const [name, v] of (prompt.get(nodeId) as PyDict).get('inputs') as PyDict) {
        inputs.set(name, isLink(v) ? host.cache.getOutputs(sigs.get(v[0])!)?.[Number(v[1])] : v);
      }
      await host.holdIfPaused();
      await sleep(0);
      host.assertAlive();
      if (host.takeInterrupt()) throw new InterruptProcessing();
      const fn = NODE_FUNCTIONS[classOf(nodeId)];
      if (!fn) throw new PyException('NotImplementedError', `sim/comfyui cannot execute ${classOf(nodeId)}`);
      const ctx: NodeContext = {
        nodeId, prompt, extraData: item.extraData, models: host.models, dirs: host.dirs, takeOom: () => host.takeOom(),
        step: async (value, max, fp, lw, lh) => {
          await sleep(host.secondsPerStep() * 1000);
          await host.holdIfPaused();
          host.assertAlive();
          if (host.takeInterrupt()) throw new InterruptProcessing();
          const preview = host.previews ? await renderPreview(fp, lw, lh, value, max) : undefined;
          host.assertAlive();
          progress.set(nodeId, { ...progress.get(nodeId)!, value: BigInt(value), max: BigInt(max) });
          sendProgressState();
          const meta = { node_id: nodeId, prompt_id: promptId, display_node_id: nodeId, parent_node_id: null, real_node_id: nodeId, image_type: 'image/jpeg' };
          if (preview) host.hub.sendPreview(preview, 'JPEG', meta, clientId ?? null, 'metadata');
          toClientOrAll('progress', { value: BigInt(value), max: BigInt(max), prompt_id: promptId, node: nodeId });
          if (preview) host.hub.sendPreview(preview, 'JPEG', meta, clientId ?? null, 'plain');
          host.progressSent();
        },
      };
      const result = await fn(inputs, ctx);
      host.assertAlive();
      const ui = result.ui === undefined ? undefined : { output: result.ui, meta: { node_id: nodeId, display_node: nodeId, parent_node: null, real_node_id: nodeId } };
      host.cache.set(sig, result.outputs, ui);
      if (ui) toClient('executed', { node: nodeId, display_node: nodeId, output: ui.output, prompt_id: promptId });
      const max = progress.get(nodeId)!.max;
      setProgress(nodeId, 'finished', max, max);
      executed.push(nodeId);
      list.complete(nodeId);
    } catch (ex) {
      if (ex instanceof Crashed) throw ex;
      success = false;
      host.setRunningNode(undefined);
      const base = { prompt_id: promptId, node_id: nodeId, node_type: classOf(nodeId), executed: [...executed] };
      if (ex instanceof InterruptProcessing) {
        addMessage('execution_interrupted', base, true);
      } else {
        const e = ex instanceof PyException ? ex : new PyException('Exception', ex instanceof Error ? ex.message : String(ex));
        const currentInputs = new Map<string, Loose>([...inputs].map(([k, v]) => [k, [formatInput(v)]]));
        addMessage('execution_error', {
          ...base,
          exception_message: `${e.message}\n${e.pyType === 'torch.OutOfMemoryError' ? OOM_TIP : ''}`,
          exception_type: e.pyType,
          traceback: [`  File "/ComfyUI/execution.py", line 496, in execute\n    output_data, output_ui, has_subgraph, has_pending_tasks = await get_output_data(prompt_id, unique_id, obj, input_data_all)\n`],
          current_inputs: currentInputs,
          current_outputs: cachedAtStart,
        }, false);
      }
      break;
    }
  }
  host.setRunningNode(undefined);
  if (success) addMessage('execution_success', { prompt_id: promptId }, false);
  const outputs = new Map<string, Loose>();
  const meta = new Map<string, Loose>();
  for (const id of prompt.keys()) {
    const ui = host.cache.getUi(sigs.get(id)!);
    if (ui) {
      outputs.set(id, ui.output);
      meta.set(id, ui.meta);
    }
  }
  return { success, messages, outputs, meta };
}

export function clientIdOf(extraData: PyDict): string | undefined {
  const v: PyValue | undefined = extraData.get('client_id');
  return v === undefined ? undefined : str(v);
}

