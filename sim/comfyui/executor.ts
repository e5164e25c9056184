/**
 * `PromptExecutor.execute_async` on the simulated GPU: the event sequence of API.md §5.4. Whatever goes
 * wrong while one prompt runs ends that prompt with `execution_error`; the worker never dies of it.
 */
import { OutputCache, signatures } from './cache.ts';
import type { SimDirs } from './files.ts';
import { ExecutionList } from './graph.ts';
import { renderPreview } from './images.ts';
import type { ModelRegistry } from './models.ts';
import { checkCall, formatValue, inputData, type InputValue } from './node-call.ts';
import { CUSTOM_NODES } from './custom-nodes.ts';
import { NODE_FUNCTIONS, type NodeContext, type Sym } from './nodes.ts';
import type { NodeDef } from './objectInfo.ts';
import { pyContains, pyGetItem } from './pycontainers.ts';
import { PyFloat, type Loose, type PyDict, type PyValue } from './pyjson.ts';
import { NodeFailure, PyException } from './pyops.ts';
import type { QueueItem } from './queue.ts';
import type { SocketHub } from './websocket.ts';

export class InterruptProcessing extends Error {}
/** Thrown inside a run when the server "crashed": the run vanishes without events or history. */
export class Crashed extends Error {}

export interface ExecHost {
  hub: SocketHub;
  models: ModelRegistry;
  dirs: SimDirs;
  cache: OutputCache;
  previews: boolean;
  nodeDef(classType: string): NodeDef | undefined;
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
const NODE_TRACEBACK = '  File "/ComfyUI/execution.py", line 496, in execute\n    output_data, output_ui, has_subgraph, has_pending_tasks = await get_output_data(prompt_id, unique_id, obj, input_data_all)\n';
const PROMPT_TRACEBACK = '  File "/ComfyUI/execution.py", line 650, in execute_async\n';

function describeObject(obj: object): string {
  const s = obj as Sym;
  if (s.kind === 'LATENT') return `{'samples': tensor(..., size=[${s.items?.length ?? 1}, 4, ${(s.height ?? 8) / 8}, ${(s.width ?? 8) / 8}])}`;
  if (s.kind === 'CONDITIONING') return '[[tensor(...), {...}]]';
  return `<${OBJECT_NAMES[s.kind] ?? 'object'} object at 0x7f3a2c1b5e50>`;
}

function asPyException(ex: unknown): PyException {
  return ex instanceof PyException ? ex : new PyException('Exception', ex instanceof Error ? ex.message : String(ex));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function executePrompt(host: ExecHost, item: QueueItem): Promise<ExecOutcome> {
  return new PromptRun(host, item).run();
}

class PromptRun {
  private readonly host: ExecHost;
  private readonly item: QueueItem;
  private readonly prompt: PyDict;
  private readonly messages: Loose[] = [];
  private readonly progress = new Map<string, Record<string, Loose>>();
  private readonly executed: string[] = [];
  /** `server.client_id`: events for the client go to this sid; None (or absent) means no client. */
  private clientId: PyValue | undefined;
  private sigs = new Map<string, string>();
  private currentOutputs: string[] = [];
  private success = true;

  constructor(host: ExecHost, item: QueueItem) {
    this.host = host;
    this.item = item;
    this.prompt = item.prompt;
  }

  async run(): Promise<ExecOutcome> {
    this.host.clearInterrupt();
    try {
      await this.execute();
    } catch (ex) {
      if (ex instanceof Crashed) throw ex;
      // Raised outside a node's own execution: in ComfyUI it escapes execute_async and kills the worker thread.
      const failure = ex instanceof NodeFailure ? ex : undefined;
      const e = failure?.error ?? asPyException(ex);
      this.fail(failure?.nodeId ?? null, { exception_message: `${e.message}\n`, exception_type: e.pyType, traceback: [PROMPT_TRACEBACK], current_inputs: new Map() });
    }
    this.host.setRunningNode(undefined);
    if (this.success) this.addMessage('execution_success', { prompt_id: this.item.promptId }, false);
    const outputs = new Map<string, Loose>();
    const meta = new Map<string, Loose>();
    for (const [id, sig] of this.sigs) {
      const ui = this.host.cache.getUi(sig);
      if (ui) {
        outputs.set(id, ui.output);
        meta.set(id, ui.meta);
      }
    }
    return { success: this.success, messages: this.messages, outputs, meta };
  }

  private async execute(): Promise<void> {
    const { promptId } = this.item;
    const extraData = this.item.extraData;
    this.clientId = pyContains(extraData, 'client_id') ? pyGetItem(extraData, 'client_id') : undefined;
    this.addMessage('execution_start', { prompt_id: promptId }, false);
    this.sigs = signatures(this.prompt, this.host.dirs);
    this.host.cache.setPrompt(this.sigs.values());
    this.currentOutputs = [...this.sigs].filter(([, sig]) => this.host.cache.getOutputs(sig) !== undefined).map(([id]) => id);
    this.addMessage('execution_cached', { nodes: this.currentOutputs, prompt_id: promptId }, false);
    const list = new ExecutionList(this.prompt, (id) => this.outputsOf(id) !== undefined, (id) => this.defOf(id).isOutput);
    for (const o of this.item.outputs) list.addNode(o);
    while (!list.isEmpty()) {
      const id = list.pick();
      if (id === undefined) {
        // `stage_node_execution` with nothing ready (a cycle only undeclared inputs could build).
        this.fail(list.nodesInCycle()[0]!, { exception_message: 'Dependency cycle detected', exception_type: 'graph.DependencyCycleError', traceback: [], current_inputs: [] });
        return;
      }
      if (!(await this.runNode(id))) return;
      list.complete(id);
    }
  }

  private classOf(id: string): string {
    return (this.prompt.get(id) as PyDict).get('class_type') as string;
  }

  private defOf(id: string): NodeDef {
    return this.host.nodeDef(this.classOf(id))!;
  }

  private outputsOf(id: string): unknown[] | undefined {
    const sig = this.sigs.get(id);
    return sig === undefined ? undefined : this.host.cache.getOutputs(sig);
  }

  /** Runs (or replays from cache) one node; false once the prompt has failed or been interrupted. */
  private async runNode(nodeId: string): Promise<boolean> {
    const { promptId } = this.item;
    const sig = this.sigs.get(nodeId)!;
    if (this.host.cache.getOutputs(sig) !== undefined) {
      this.toClient('executed', { node: nodeId, display_node: nodeId, output: this.host.cache.getUi(sig)?.output ?? null, prompt_id: promptId });
      const max = this.progress.get(nodeId)?.max ?? new PyFloat(1);
      this.setProgress(nodeId, 'finished', max, max);
      return true;
    }
    let inputs: Map<string, InputValue> | undefined;
    try {
      this.setProgress(nodeId, 'running', new PyFloat(0), new PyFloat(1));
      const classType = this.classOf(nodeId);
      const node = this.prompt.get(nodeId) as PyDict;
      inputs = inputData(node.get('inputs') as PyDict, this.defOf(nodeId), (id) => this.outputsOf(id), this.prompt, this.item.extraData);
      this.toClient('executing', { node: nodeId, display_node: nodeId, prompt_id: promptId });
      this.host.setRunningNode(nodeId);
      await this.host.holdIfPaused();
      await sleep(0);
      this.host.assertAlive();
      if (this.host.takeInterrupt()) throw new InterruptProcessing();
      checkCall(classType, inputs);
      const result = await (NODE_FUNCTIONS[classType] ?? CUSTOM_NODES[classType]!.run)(inputs, this.context(nodeId));
      this.host.assertAlive();
      const ui = result.ui === undefined ? undefined : { output: result.ui, meta: { node_id: nodeId, display_node: nodeId, parent_node: null, real_node_id: nodeId } };
      this.host.cache.set(sig, result.outputs, ui);
      if (ui) this.toClient('executed', { node: nodeId, display_node: nodeId, output: ui.output, prompt_id: promptId });
      const max = this.progress.get(nodeId)!.max;
      this.setProgress(nodeId, 'finished', max, max);
      this.executed.push(nodeId);
      return true;
    } catch (ex) {
      if (ex instanceof Crashed) throw ex;
      this.host.setRunningNode(undefined);
      if (ex instanceof InterruptProcessing) {
        this.success = false;
        this.addMessage('execution_interrupted', { prompt_id: promptId, node_id: nodeId, node_type: this.classOf(nodeId), executed: [...this.executed] }, true);
        return false;
      }
      const e = asPyException(ex);
      const currentInputs = new Map<string, Loose>([...(inputs ?? [])].map(([k, v]) => [k, [formatValue(v, describeObject)]]));
      this.fail(nodeId, {
        exception_message: `${e.message}\n${e.pyType === 'torch.OutOfMemoryError' ? OOM_TIP : ''}`,
        exception_type: e.pyType, traceback: [NODE_TRACEBACK], current_inputs: currentInputs,
      });
      return false;
    }
  }

  private context(nodeId: string): NodeContext {
    const { promptId } = this.item;
    return {
      nodeId, prompt: this.prompt, models: this.host.models, dirs: this.host.dirs, takeOom: () => this.host.takeOom(),
      step: async (value, max, fp, lw, lh) => {
        await sleep(this.host.secondsPerStep() * 1000);
        await this.host.holdIfPaused();
        this.host.assertAlive();
        if (this.host.takeInterrupt()) throw new InterruptProcessing();
        const preview = this.host.previews ? await renderPreview(fp, lw, lh, value, max) : undefined;
        this.host.assertAlive();
        this.progress.set(nodeId, { ...this.progress.get(nodeId)!, value: BigInt(value), max: BigInt(max) });
        this.sendProgressState();
        const meta = { node_id: nodeId, prompt_id: promptId, display_node_id: nodeId, parent_node_id: null, real_node_id: nodeId, image_type: 'image/jpeg' };
        if (preview && this.sid !== undefined) this.host.hub.sendPreview(preview, 'JPEG', meta, this.sid, 'metadata');
        this.toClientOrAll('progress', { value: BigInt(value), max: BigInt(max), prompt_id: promptId, node: nodeId });
        if (preview && this.sid !== undefined) this.host.hub.sendPreview(preview, 'JPEG', meta, this.sid, 'plain');
        this.host.progressSent();
      },
    };
  }

  /** `handle_execution_error` for anything but an interrupt. */
  private fail(nodeId: string | null, error: { exception_message: string; exception_type: string; traceback: string[]; current_inputs: Loose }): void {
    this.success = false;
    const nodeType = nodeId !== null && this.prompt.has(nodeId) ? this.classOf(nodeId) : null;
    this.addMessage('execution_error', {
      prompt_id: this.item.promptId, node_id: nodeId, node_type: nodeType, executed: [...this.executed], ...error, current_outputs: this.currentOutputs,
    }, false);
  }

  /** Where `send_sync(..., server.client_id)` lands: null broadcasts; a sid no socket can have reaches nobody. */
  private get sid(): string | null | undefined {
    if (this.clientId === undefined || this.clientId === null) return null;
    return typeof this.clientId === 'string' ? this.clientId : undefined;
  }

  private get hasClient(): boolean {
    return this.clientId !== undefined && this.clientId !== null;
  }

  private addMessage(event: string, data: Record<string, Loose>, broadcast: boolean): void {
    const full = { ...data, timestamp: Date.now() };
    this.messages.push([event, full]);
    if ((this.hasClient || broadcast) && this.sid !== undefined) this.host.hub.send(event, full, this.sid);
    this.host.onMessage(event, this.item.promptId);
  }

  private toClient(event: string, data: Loose): void {
    if (this.hasClient && this.sid !== undefined) this.host.hub.send(event, data, this.sid);
  }

  private toClientOrAll(event: string, data: Loose): void {
    if (this.sid !== undefined) this.host.hub.send(event, data, this.sid);
  }

  private sendProgressState(): void {
    this.toClientOrAll('progress_state', { prompt_id: this.item.promptId, nodes: new Map(this.progress) });
  }

  private setProgress(id: string, state: string, value: Loose, max: Loose): void {
    const { promptId } = this.item;
    this.progress.set(id, { value, max, state, node_id: id, prompt_id: promptId, display_node_id: id, parent_node_id: null, real_node_id: id });
    this.sendProgressState();
  }
}
