import type { PgBoss } from 'pg-boss';
import type { Db } from '#shared/db/pool.ts';
import type { Logger } from '#shared/logging.ts';
import { announceLineMoved } from '#shared/queue/send-live.ts';
import { setGenerationMessages } from '#shared/db/sql/reply-messages.ts';

interface Pending {
  generationId: string;
  messageId: string | null;
  done(): void;
}

/**
 * What follows a "Queued" reply: store the reply's message id (delivery edits it through the channel
 * once the interaction token has expired) and tell the scheduler the line moved (it then shows the
 * real place and ETA). Replies that come in while one round is being written wait and go together in
 * the next: a burst of 200 replies costs a couple of updates and line announcements, not 200 of each.
 * A lone reply goes at once. Failures are logged: the reply stands either way.
 */
export class ReplyBookkeeping {
  readonly #db: Db;
  readonly #boss: PgBoss;
  readonly #logger: Logger;
  #pending: Pending[] = [];
  #writing = false;

  constructor(db: Db, boss: PgBoss, logger: Logger) {
    this.#db = db;
    this.#boss = boss;
    this.#logger = logger;
  }

  /** Resolves once the message id is stored and the line move announced (or the failure logged). */
  record(generationId: string, messageId: string | null): Promise<void> {
    return new Promise((resolve) => {
      this.#pending.push({ generationId, messageId, done: resolve });
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#writing || this.#pending.length === 0) return;
    const round = this.#pending;
    this.#pending = [];
    this.#writing = true;
    void this.#write(round).finally(() => {
      for (const p of round) p.done();
      this.#writing = false;
      this.#pump();
    });
  }

  async #write(round: Pending[]): Promise<void> {
    const pairs = round.flatMap((p) => (p.messageId ? [{ generationId: p.generationId, messageId: p.messageId }] : []));
    if (pairs.length) {
      const { text, values } = setGenerationMessages(pairs);
      await this.#db.executeSql(text, values).catch((err: unknown) =>
        this.#logger.warn({ err, generationIds: pairs.map((p) => p.generationId) }, 'could not store the message ids'));
    }
    await announceLineMoved(this.#boss).catch((err: unknown) => this.#logger.warn({ err }, 'could not announce the line move'));
  }
}
