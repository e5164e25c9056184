import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from '#shared/logging.ts';
import type { OutputsCache } from './outputs-cache.ts';

/** Raised by a trigger when a generation is deleted (🗑) or its row erased (migration retention). */
export const generationGoneChannel = 'generation_gone';
const reconnectDelayMs = 1000;

/**
 * Keeps the image route's outputs cache honest: a deleted generation's entry is dropped the moment
 * Postgres says so, on one LISTEN connection per process. While that connection is down the cache is
 * emptied and bypassed (a notification could be missed), until it listens again.
 */
export class GoneListener {
  #client: pg.Client | undefined;
  #closed = false;
  readonly #databaseUrl: string;
  readonly #cache: OutputsCache;
  readonly #logger: Logger;

  constructor(databaseUrl: string, cache: OutputsCache, logger: Logger) {
    this.#databaseUrl = databaseUrl;
    this.#cache = cache;
    this.#logger = logger;
  }

  async listen(): Promise<void> {
    this.#cache.trusted = false;
    this.#cache.clear();
    const client = new pg.Client({ connectionString: this.#databaseUrl });
    client.on('notification', (n) => {
      if (n.channel === generationGoneChannel && n.payload) this.#cache.forget(n.payload);
    });
    client.on('error', (err) => {
      this.#logger.warn({ err }, 'generation_gone LISTEN connection lost; reconnecting');
      void this.#reconnect(client);
    });
    await client.connect();
    await client.query(`listen ${generationGoneChannel}`);
    this.#client = client;
    this.#cache.trusted = true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#cache.trusted = false;
    await this.#client?.end().catch(() => undefined);
  }

  async #reconnect(dead: pg.Client): Promise<void> {
    if (this.#client !== dead) return;
    this.#client = undefined;
    this.#cache.trusted = false;
    this.#cache.clear();
    await dead.end().catch(() => undefined);
    while (!this.#closed) {
      await delay(reconnectDelayMs);
      if (this.#closed) return;
      try {
        await this.listen();
        return;
      } catch (err) {
        this.#logger.warn({ err }, 'generation_gone LISTEN reconnect failed; retrying');
      }
    }
  }
}
