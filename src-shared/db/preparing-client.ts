import pg from 'pg';

export interface StatementNamesOptions {
  /** A text is prepared from its `after`-th use on (earlier uses run unnamed). */
  after?: number;
  /** At most this many texts get a name; the rest always run unnamed. */
  maxNamed?: number;
  /** Texts longer than this are never named. */
  maxLength?: number;
}

/**
 * Which statement texts have earned a prepared-statement name, for the whole process. A text that
 * repeats (pg-boss's fetch, complete and insert for each queue; our own fixed statements) gets one
 * name forever, so every connection parses and analyses it once, and Postgres may settle on a
 * generic plan instead of planning each call. The counts are bounded: a text built from changing
 * literals would otherwise fill the server's per-connection statement cache.
 */
export class StatementNames {
  readonly #after: number;
  readonly #maxNamed: number;
  readonly #maxLength: number;
  readonly #uses = new Map<string, number>();
  readonly #names = new Map<string, string | null>();

  constructor(opts: StatementNamesOptions = {}) {
    this.#after = opts.after ?? 2;
    this.#maxNamed = opts.maxNamed ?? 128;
    this.#maxLength = opts.maxLength ?? 16_384;
  }

  /** The name to prepare `text` under, or undefined to run it unnamed this time. */
  nameFor(text: string): string | undefined {
    const name = this.#names.get(text);
    if (name === null) return undefined;
    if (name !== undefined || this.#names.size >= this.#maxNamed || text.length > this.#maxLength) return name;
    const uses = (this.#uses.get(text) ?? 0) + 1;
    if (uses < this.#after) {
      // Only counted while there is room; a text seen once is forgotten when the tally grows large.
      if (this.#uses.size >= 4 * this.#maxNamed) this.#uses.clear();
      this.#uses.set(text, uses);
      return undefined;
    }
    this.#uses.delete(text);
    const named = `gn_auto_${this.#names.size}`;
    this.#names.set(text, named);
    return named;
  }

  /** `text` runs unnamed from now on, in every connection (its prepared form went stale). */
  retire(text: string): void {
    this.#names.set(text, null);
  }
}

type QueryCallback = (err: Error, result: pg.QueryResult) => void;

/**
 * A table a prepared statement returns rows of changed its columns (a migration while this process
 * runs): Postgres refuses the statement on this connection from then on. It is refused before it
 * runs, so running the text unnamed instead is safe (outside a transaction, which the refusal ends).
 */
function stalePlan(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === '0A000' && /cached plan must not change result type/.test((err as Error).message);
}

interface QueryConfig {
  text: string;
  values?: unknown[];
  name?: string;
}

/**
 * Whether a text may become a prepared statement: one statement only (the extended protocol allows
 * no more; a text without parameters may hold several, as pg-boss's `BEGIN; …; COMMIT;` do) and a
 * query or DML, the statements planning is worth saving for.
 */
function preparable(text: string, values: unknown[] | undefined): boolean {
  if (values && values.length > 0) return true;
  const end = text.trimEnd();
  const semicolon = end.indexOf(';');
  return (semicolon === -1 || semicolon === end.length - 1) && /^\s*(select|with|insert|update|delete)\b/i.test(end);
}

/**
 * Sent on every new connection: no JIT compilation. Postgres compiles a statement's expressions
 * with LLVM when the planner's cost estimate passes `jit_above_cost`, and does it again on every
 * execution (nothing is cached). Our statements are short; their estimates pass it as tables grow:
 * with 2 000 LoRAs in the model table and 50 instances, a slot claim spent 112 ms compiling for a
 * query that runs in 1.6 ms, and the place in line likewise.
 */
export const sessionSettings = 'set jit = off';

/**
 * A pg.Client (for a pool's `Client` option) that runs a repeated text as a prepared statement.
 * pg-boss sends all its statements as bare texts, most with their values inlined, so each call was
 * parsed, analysed and planned afresh; so were our own statements sent without a name. Hand-written
 * because pg has no automatic statement cache, and pg-boss accepts only a pool it makes itself.
 * Each connection starts with `sessionSettings` (a SET rather than a startup option, which poolers
 * such as PgBouncer refuse).
 */
export function preparingClient(names: StatementNames): typeof pg.Client {
  return class PreparingClient extends pg.Client {
    // pg's two call shapes (a promise of the client, or a callback); checked at run time as query's are.
    override connect(callback?: unknown): never {
      const ready = super.connect().then(() => super.query(sessionSettings)).then(() => this);
      if (typeof callback !== 'function') return ready as never;
      const done = callback as (err: Error | null, client?: pg.Client) => void;
      ready.then((client) => done(null, client), (err: Error) => done(err));
      return undefined as never;
    }

    // pg's overloads cannot be re-declared one by one here; the call shapes are checked at run time.
    override query(config: unknown, values?: unknown, callback?: unknown): never {
      const named = withName(names, config, values);
      if (!named) return (super.query as (...args: unknown[]) => unknown).call(this, config, values, callback) as never;
      const { name: _name, ...unnamed } = named;
      const cb = typeof values === 'function' ? values : callback;
      if (typeof cb === 'function') {
        const done = cb as QueryCallback;
        return super.query(named, (err: Error | null, result: pg.QueryResult) => {
          if (!stalePlan(err)) return done(err as Error, result);
          names.retire(named.text);
          super.query(unnamed, done);
        }) as never;
      }
      return super.query(named).catch((err: unknown) => {
        if (!stalePlan(err)) throw err;
        names.retire(named.text);
        return super.query(unnamed);
      }) as never;
    }
  };
}

/** The query as a named one, or undefined to send it as it came. */
function withName(names: StatementNames, config: unknown, values: unknown): QueryConfig | undefined {
  const query: (Partial<QueryConfig> & { submit?: unknown }) | undefined =
    typeof config === 'string' ? { text: config } : typeof config === 'object' && config !== null ? config : undefined;
  if (!query || query.name !== undefined || typeof query.text !== 'string' || query.submit !== undefined) return undefined;
  const vals = Array.isArray(values) ? values : query.values;
  if (!preparable(query.text, vals)) return undefined;
  const name = names.nameFor(query.text);
  return name === undefined ? undefined : { ...(query as QueryConfig), values: vals ?? [], name };
}

/** One process-wide tally: pools of one process share the same texts (pg-boss's and ours). */
export const processStatementNames = new StatementNames();
