import { randomUUID } from 'node:crypto';
import { ComfyClient } from '#shared/comfyui/client.ts';
import { ComfyEventStream } from '#shared/comfyui/event-stream.ts';
import type { ObjectInfo } from '#shared/comfyui/object-info.ts';
import type { Logger } from '#shared/logging.ts';

const objectInfoTtlMs = 60_000;

export interface InstanceConnection {
  client: ComfyClient;
  /** Events of the prompts this process submits (same client id as `client`). */
  events: ComfyEventStream;
}

interface Entry extends InstanceConnection {
  authorization: string | undefined;
  objectInfo?: { value: Promise<ObjectInfo>; at: number };
}

/** One client id per instance per process: one HTTP client, one WebSocket, one object_info cache. */
export class InstancePool {
  readonly #entries = new Map<string, Entry>();
  readonly #logger: Logger;
  /** Base URL (no trailing slash) → the reverse proxy's Authorization header (comfy_instance.proxy_authorization). */
  #authorizations: ReadonlyMap<string, string>;

  constructor(logger: Logger, authorizations: ReadonlyMap<string, string> = new Map()) {
    this.#logger = logger;
    this.#authorizations = authorizations;
  }

  /** New headers apply to new connections: an instance whose header changed gets a fresh client and socket. */
  setAuthorizations(authorizations: ReadonlyMap<string, string>): void {
    this.#authorizations = authorizations;
    for (const [baseUrl, entry] of this.#entries) {
      if (entry.authorization === this.#authorizationOf(baseUrl)) continue;
      this.#entries.delete(baseUrl);
      void entry.events.close();
      void entry.client.close();
    }
  }

  #authorizationOf(baseUrl: string): string | undefined {
    return this.#authorizations.get(baseUrl.replace(/\/+$/, ''));
  }

  #entry(baseUrl: string): Entry {
    let entry = this.#entries.get(baseUrl);
    if (!entry) {
      const clientId = randomUUID();
      const authorization = this.#authorizationOf(baseUrl);
      entry = {
        authorization,
        client: new ComfyClient({ baseUrl, clientId, logger: this.#logger, authorization }),
        events: new ComfyEventStream({ baseUrl, clientId, logger: this.#logger, authorization }),
      };
      this.#entries.set(baseUrl, entry);
    }
    return entry;
  }

  connection(baseUrl: string): InstanceConnection {
    return this.#entry(baseUrl);
  }

  client(baseUrl: string): ComfyClient {
    return this.#entry(baseUrl).client;
  }

  async objectInfo(baseUrl: string): Promise<ObjectInfo> {
    const entry = this.#entry(baseUrl);
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
    await Promise.all([...this.#entries.values()].map((e) => e.events.close()));
    this.#entries.clear();
  }
}
