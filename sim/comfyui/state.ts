/** Server-side state of one ComfyUI process: queue, worker, history, cache, sockets, faults. */
import { EventEmitter } from 'node:events';
import { OutputCache } from './cache.ts';
import { Crashed, executePrompt, type ExecHost, type ExecOutcome } from './executor.ts';
import { Faults } from './faults.ts';
import type { SimDirs } from './files.ts';
import { History } from './history.ts';
import { ModelRegistry } from './models.ts';
import { baseObjectInfo, nodeDef, type ObjectInfoVersion } from './objectInfo.ts';
import { upscaleModelNodes } from './upscale-model-nodes.ts';
import { addCustomNodes } from './custom-nodes.ts';
import { DEFAULT_MODEL_METADATA } from './models.ts';
import { deepCopy, isDict, pyFloat, type Loose, type PyDict } from './pyjson.ts';
import { itemTuple, PromptHeap, type QueueItem } from './queue.ts';
import { SocketHub } from './websocket.ts';

export interface SimExecution {
  promptId: string;
  clientId?: string;
  startedAt: number;
  finishedAt?: number;
  status: 'running' | 'success' | 'error' | 'interrupted' | 'lost';
}

export interface StateOptions {
  dirs: SimDirs;
  models: Partial<Record<string, string[]>>;
  secondsPerStep: number;
  previews: boolean;
  objectInfo: ObjectInfoVersion;
  /** Custom node classes installed on this instance (custom-nodes.ts). */
  customNodes?: readonly string[];
  /** `folder/file` → safetensors `__metadata__` (what `/view_metadata` answers). */
  modelMetadata?: Record<string, Record<string, string>>;
}

const SENSITIVE_KEYS = ['auth_token_comfy_org', 'api_key_comfy_org'];

export class ComfyState {
  readonly dirs: SimDirs;
  readonly models: ModelRegistry;
  readonly version: ObjectInfoVersion;
  readonly customNodes: readonly string[];
  readonly modelMetadata: Record<string, Record<string, string>>;
  /** object_info's node definitions as this instance loaded them (core + its custom nodes). */
  readonly nodeDefinitions: PyDict;
  readonly faults = new Faults();
  readonly history = new History();
  readonly heap = new PromptHeap();
  readonly cache = new OutputCache();
  readonly events = new EventEmitter();
  readonly executions: SimExecution[] = [];
  hub: SocketHub;
  secondsPerStep: number;
  previews: boolean;
  /** `self.number` of server.py. */
  counter = 0n;
  running: QueueItem | undefined;
  private runningNode: string | undefined;
  private currentExecution: SimExecution | undefined;
  private interruptFlag = false;
  private paused = false;
  private readonly pauseWaiters: (() => void)[] = [];
  private epoch = 0;
  private wake: (() => void) | undefined;
  private freeRequested = false;
  private stopped = false;

  constructor(opts: StateOptions) {
    this.dirs = opts.dirs;
    this.models = new ModelRegistry(opts.models);
    this.version = opts.objectInfo;
    this.customNodes = opts.customNodes ?? [];
    this.modelMetadata = { ...DEFAULT_MODEL_METADATA, ...opts.modelMetadata };
    this.nodeDefinitions = addCustomNodes(deepCopy(baseObjectInfo(this.version)), this.customNodes);
    this.secondsPerStep = opts.secondsPerStep;
    this.previews = opts.previews;
    this.events.setMaxListeners(0);
    this.hub = this.newHub();
  }

  newHub(): SocketHub {
    return new SocketHub({
      queueInfo: () => this.queueInfo(),
      runningNodeFor: (sid) => (this.running && this.clientOf(this.running) === sid ? this.runningNode : undefined),
      serverFeatures: () => this.features(),
    });
  }

  features(): Loose {
    const base = { supports_preview_metadata: true, max_upload_size: pyFloat(104857600) };
    return this.version === 'newer' ? { ...base, supports_model_type_tags: true, extension: { manager: { supports_v4: true } } } : base;
  }

  /** The sid a prompt's events go to: only a string `client_id` can match a socket. */
  clientOf(item: QueueItem): string | undefined {
    const id = isDict(item.extraData) ? item.extraData.get('client_id') : undefined;
    return typeof id === 'string' ? id : undefined;
  }

  queueInfo(): Loose {
    return { exec_info: { queue_remaining: this.heap.size + (this.running ? 1 : 0) } };
  }

  statusBroadcast(): void {
    this.hub.send('status', { status: this.queueInfo() }, null);
  }

  put(item: QueueItem): void {
    this.heap.push(item);
    this.statusBroadcast();
    this.wake?.();
  }

  /** `delete_queue_item` for one id: first match only; the last item goes through `wipe_queue` (two statuses). */
  deletePending(promptId: string): void {
    const index = this.heap.items().findIndex((i) => i.promptId === promptId);
    if (index < 0) return;
    if (this.heap.size === 1) this.wipe();
    else this.heap.removeAt(index);
    this.statusBroadcast();
  }

  wipe(): void {
    this.heap.clear();
    this.statusBroadcast();
  }

  interrupt(promptId?: string): void {
    if (promptId !== undefined && this.running?.promptId !== promptId) return;
    this.interruptFlag = true;
  }

  requestFree(freeMemory: boolean): void {
    if (!freeMemory) return;
    if (this.running) this.freeRequested = true;
    else this.cache.reset();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const w of this.pauseWaiters.splice(0)) w();
    this.wake?.();
  }

  isIdle(): boolean {
    return !this.running && this.heap.size === 0;
  }

  private host(epoch: number): ExecHost {
    const assertAlive = () => {
      if (epoch !== this.epoch) throw new Crashed();
    };
    return {
      hub: this.hub, models: this.models, dirs: this.dirs, cache: this.cache, previews: this.previews,
      nodeDef: (c) => nodeDef(this.nodeDefinitions, c) ?? nodeDef(upscaleModelNodes(this.version, []), c),
      secondsPerStep: () => this.secondsPerStep,
      holdIfPaused: async () => {
        while (this.paused && epoch === this.epoch) await new Promise<void>((r) => this.pauseWaiters.push(r));
        assertAlive();
      },
      assertAlive,
      takeInterrupt: () => {
        const hit = this.interruptFlag;
        this.interruptFlag = false;
        return hit;
      },
      clearInterrupt: () => {
        this.interruptFlag = false;
      },
      takeOom: () => this.faults.takeOom(),
      progressSent: () => {
        if (this.faults.progressSent()) this.hub.dropAll();
      },
      setRunningNode: (n) => {
        this.runningNode = n;
      },
      onMessage: (event, promptId) => {
        const terminal = ({ execution_success: 'success', execution_error: 'error', execution_interrupted: 'interrupted' } as const)[event as 'execution_success'];
        const execution = this.currentExecution;
        if (terminal && execution) {
          execution.status = terminal;
          execution.finishedAt = Date.now();
        }
        this.events.emit(event, promptId);
      },
    };
  }

  /** The single worker thread (`main.py prompt_worker`). One loop per epoch; a crash ends it. */
  async runWorker(): Promise<void> {
    const epoch = this.epoch;
    while (epoch === this.epoch && !this.stopped) {
      if (this.paused || this.heap.size === 0) {
        await new Promise<void>((r) => {
          this.wake = r;
          if (!this.paused && this.heap.size > 0) r();
        });
        continue;
      }
      const item = this.heap.pop()!;
      this.running = item;
      this.statusBroadcast();
      const execution: SimExecution = { promptId: item.promptId, clientId: this.clientOf(item), startedAt: Date.now(), status: 'running' };
      this.executions.push(execution);
      this.currentExecution = execution;
      let outcome: ExecOutcome;
      try {
        outcome = await executePrompt(this.host(epoch), item);
      } catch (ex) {
        if (ex instanceof Crashed) return;
        // executePrompt turns every failure into execution_error; anything else is a stand-in bug. Keep serving.
        console.error('sim/comfyui: executor failed', ex);
        outcome = { success: false, messages: [], outputs: new Map(), meta: new Map() };
      }
      if (epoch !== this.epoch) return; // died after the last event, before task_done
      this.taskDone(item, outcome);
    }
  }

  /** `task_done` (history without the sensitive keys), then the trailing status and `executing null`. */
  private taskDone(item: QueueItem, outcome: ExecOutcome): void {
    const extra = isDict(item.extraData) ? new Map([...item.extraData].filter(([k]) => !SENSITIVE_KEYS.includes(k))) : item.extraData;
    const entry = new Map<string, Loose>([
      ['prompt', itemTuple({ ...item, extraData: extra })],
      ['outputs', outcome.outputs],
      ['status', { status_str: outcome.success ? 'success' : 'error', completed: outcome.success, messages: outcome.messages }],
      ['meta', outcome.meta],
    ]);
    this.history.put(item.promptId, entry);
    if (this.currentExecution && !outcome.success && this.currentExecution.status === 'running') this.currentExecution.status = 'error';
    this.running = undefined;
    this.currentExecution = undefined;
    this.statusBroadcast();
    const client = this.clientOf(item);
    if (client !== undefined) this.hub.send('executing', { node: null, prompt_id: item.promptId }, client);
    if (this.freeRequested) {
      this.freeRequested = false;
      this.cache.reset();
    }
    this.events.emit('done', item.promptId);
    if (this.isIdle()) this.events.emit('idle');
  }

  /** Abrupt death: queue and running prompt gone, caches gone, history kept only if asked. */
  crash(keepHistory: boolean): void {
    this.epoch++;
    if (this.currentExecution) {
      this.currentExecution.status = 'lost';
      this.currentExecution.finishedAt = Date.now();
      this.currentExecution = undefined;
    }
    this.running = undefined;
    this.runningNode = undefined;
    this.heap.clear();
    this.cache.reset();
    this.interruptFlag = false;
    this.counter = 0n;
    if (!keepHistory) this.history.clear();
    for (const w of this.pauseWaiters.splice(0)) w();
    this.wake?.();
    this.hub.close();
  }

  stop(): void {
    this.stopped = true;
    this.crash(true);
  }

  /** Inputs of the prompt are kept as queued (for /queue). */
  pendingTuples(): Loose[] {
    return this.heap.items().map(itemTuple);
  }

  runningTuples(): Loose[] {
    return this.running ? [itemTuple(this.running)] : [];
  }
}
