import { ComfyClient } from '#shared/comfyui/client.ts';
import type { ObjectInfo } from '#shared/comfyui/object-info.ts';
import type { Logger } from '#shared/logging.ts';

const objectInfoTtlMs = 60_000;

interface Entry {
  client: ComfyClient;
  objectInfo?: { value: Promise<ObjectInfo>; at: number };
}

/** One ComfyUI client per instance per process (one WebSocket session each), plus an object_info cache. */
export class InstancePool {
  readonly #entries = new Map<string, Entry>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  client(baseUrl: string): ComfyClient {
    let entry = this.#entries.get(baseUrl);
    if (!entry) {
      entry = { client: new ComfyClient({ baseUrl, logger: this.#logger, retries: 2 }) };
      this.#entries.set(baseUrl, entry);
    }
    return entry.client;
  }

  async objectInfo(baseUrl: string): Promise<ObjectInfo> {
    const entry = this.#entries.get(baseUrl) ?? (this.client(baseUrl), this.#entries.get(baseUrl)!);
    if (!entry.objectInfo || Date.now() - entry.objectInfo.at > objectInfoTtlMs) {
      const value = entry.client.objectInfo();
      entry.objectInfo = { value, at: Date.now() };
      value.catch(() => {
        if (entry.objectInfo?.value === value) entry.objectInfo = undefined;
      });
    }
    return entry.objectInfo.value;
  }

  forgetObjectInfo(baseUrl: string): void {
    const entry = this.#entries.get(baseUrl);
    if (entry) entry.objectInfo = undefined;
  }

  async close(): Promise<void> {
    this.#entries.clear();
  }
}
