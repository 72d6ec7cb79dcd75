import pg from "pg";
import { ModelmapError } from "../../core/errors.ts";
import { redactUrl } from "../location.ts";
import { currentTx, inSavepoint, runInTx, type TxContext } from "../tx.ts";

/**
 * The connection side of the PostgreSQL store: a pool, and the one place that decides which connection a
 * query runs on. Outside a transaction a query takes any pooled connection; inside one (found in the async
 * context, `store/tx.ts`) it runs on the transaction's connection.
 */

/**
 * A statement: its text, or its text with a name, which makes it a prepared statement on each connection that
 * runs it (parsed and planned once per connection, not on every call): for the hot paths.
 */
export type Sql = string | { name: string; text: string };

/** What a query runs on: the pool, or an open transaction's connection. */
export interface Conn {
  query<R extends pg.QueryResultRow>(sql: Sql, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

function config(sql: Sql, params: unknown[] | undefined): pg.QueryConfig {
  return typeof sql === "string" ? { text: sql, values: params ?? [] } : { ...sql, values: params ?? [] };
}

/**
 * A transaction's connection. Calls made at once inside one transaction (`Promise.all`) send their statements
 * one after another: a pg client must not be given a query while it runs one (pg 9 refuses it).
 */
export class TxConn implements Conn {
  readonly client: pg.PoolClient;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(client: pg.PoolClient) {
    this.client = client;
  }

  query<R extends pg.QueryResultRow>(sql: Sql, params?: unknown[]): Promise<pg.QueryResult<R>> {
    const run = () => this.client.query<R>(config(sql, params));
    const next = this.#tail.then(run, run);
    this.#tail = next.catch(() => {});
    return next;
  }
}

/**
 * BIGINT comes back as a number, as SQLite's INTEGER does (pg returns text by default). Per pool, not global, so
 * that a library sharing the `pg` module (a job queue) keeps its own parsing. Values past 2^53 are refused
 * rather than rounded.
 */
const INT8 = 20;
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === INT8 && format !== "binary")
      return (text: string) => {
        const n = Number(text);
        if (!Number.isSafeInteger(n))
          throw new ModelmapError("internal", `the database returned ${text}, past JavaScript's safe integers`);
        return n;
      };
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig["getTypeParser"],
};

export interface PoolOptions {
  /** Most connections the pool opens (pg's default: 10). */
  max?: number;
}

export function createPool(url: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    types,
    max: options.max ?? 10,
    application_name: "modelmap",
    // The named statements (the labeling hot paths) take their rows as one JSON parameter, which no plan can look
    // into, and look rows up by key. Left to choose, PostgreSQL kept planning the vote statement afresh for over
    // half its calls (custom plans): 0.31 ms of planning per vote, as much as executing it (pg_stat_statements,
    // bench label-load). A generic plan is made once per connection, and again when autovacuum's statistics
    // invalidate it. Unnamed statements are planned at each call whatever this says. A startup option of the
    // connection (PostgreSQL 12 or later), so no query of ours can run before it; `options` in the URL replaces it.
    options: "-c plan_cache_mode=force_generic_plan",
  });
  // An idle connection that the server drops (a restart, a killed backend) is an event on the pool; without a
  // listener it would crash the process. The next query opens a fresh connection.
  pool.on("error", () => {});
  return pool;
}

/** A PostgreSQL error's SQLSTATE; undefined for an error that did not come from the server. */
export function sqlState(e: unknown): string | undefined {
  return e instanceof pg.DatabaseError ? e.code : undefined;
}

/** A connection that cannot be made is the user's to fix (wrong URL, server down): a clear error, exit code 2. */
export function connectError(url: string, e: unknown): ModelmapError {
  const state = sqlState(e);
  const message = (e as Error).message || String(e);
  return new ModelmapError("config", `cannot open database ${redactUrl(url)}: ${message}`, {
    cause: e,
    hint:
      state === "3D000"
        ? "create the database first (createdb NAME, or CREATE DATABASE in psql)"
        : "check the URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE) and that the server is running",
  });
}

/**
 * What the repositories query through: the open transaction's connection when there is one, else the pool.
 * `atomic` runs several statements as one unit: a transaction of its own, or a savepoint inside the caller's.
 */
export class PgDb {
  readonly #owner: object;
  readonly pool: pg.Pool;
  /** Per open transaction, the tail of its queue of atomic sections (they run one after another). */
  readonly #sections = new WeakMap<TxContext<TxConn>, Promise<unknown>>();

  constructor(owner: object, pool: pg.Pool) {
    this.#owner = owner;
    this.pool = pool;
  }

  /** Whether a query made now, in this async context, runs in an open transaction. */
  inTransaction(): boolean {
    return currentTx<TxConn>(this.#owner) !== undefined;
  }

  /** The connection a query made now, in this async context, runs on. */
  conn(): Conn {
    return currentTx<TxConn>(this.#owner)?.conn ?? this.#pooled;
  }

  readonly #pooled: Conn = {
    query: <R extends pg.QueryResultRow>(sql: Sql, params?: unknown[]) => this.pool.query<R>(config(sql, params)),
  };

  async query<R extends object>(sql: Sql, params: unknown[] = []): Promise<R[]> {
    return (await this.conn().query<R & pg.QueryResultRow>(sql, params)).rows;
  }

  async one<R extends object>(sql: Sql, params: unknown[] = []): Promise<R | undefined> {
    return (await this.query<R>(sql, params))[0];
  }

  /** Runs a statement and returns the number of rows it changed. */
  async run(sql: Sql, params: unknown[] = []): Promise<number> {
    return (await this.conn().query(sql, params)).rowCount ?? 0;
  }

  /**
   * Runs `fn` in a transaction: a new one on a pooled connection, or, inside an open transaction, a savepoint
   * that rolls back alone if `fn` throws (so that a failed statement does not abort the caller's transaction,
   * as a failed SQLite statement does not). Atomic sections of one transaction run one after another: their
   * savepoints must nest, and callers may start several at once (`Promise.all`).
   */
  atomic<T>(fn: () => Promise<T>): Promise<T> {
    const open = currentTx<TxConn>(this.#owner);
    if (!open) return this.transaction(fn);
    const prev = this.#sections.get(open) ?? Promise.resolve();
    const next = prev.then(
      () => inSavepoint(open, (sql) => open.conn.query(sql), fn),
      () => inSavepoint(open, (sql) => open.conn.query(sql), fn),
    );
    this.#sections.set(
      open,
      next.catch(() => {}),
    );
    return next;
  }

  /** A new transaction on one pooled connection, held for its length; nested calls become savepoints. */
  async transaction<T>(fn: () => Promise<T> | T): Promise<T> {
    const open = currentTx<TxConn>(this.#owner);
    if (open) return inSavepoint(open, (sql) => open.conn.query(sql), fn);
    const client = await this.pool.connect();
    const conn = new TxConn(client);
    const tx: TxContext<TxConn> = { owner: this.#owner, conn, done: false, savepoints: [] };
    let broken: Error | undefined;
    try {
      await conn.query("BEGIN");
      const value = await runInTx(tx, fn);
      tx.done = true;
      // PostgreSQL answers COMMIT with ROLLBACK, and no error, when a statement in the transaction failed.
      const commit = await conn.query("COMMIT");
      if (commit.command === "ROLLBACK")
        throw new ModelmapError(
          "internal",
          "the transaction was rolled back: a statement in it failed and its error was caught without a nested transaction",
        );
      return value;
    } catch (e) {
      tx.done = true;
      try {
        // After a failed COMMIT the transaction is already over and this only warns.
        await conn.query("ROLLBACK");
      } catch (rollbackError) {
        // The connection is unusable (the server went away): the pool must not hand it out again.
        broken = rollbackError as Error;
      }
      throw e;
    } finally {
      client.release(broken);
    }
  }
}

/** Bound parameters of a query built piece by piece: `p.add(v)` returns the placeholder (`$3`). */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  /** A placeholder list for an IN clause. */
  list(values: readonly unknown[]): string {
    return values.map((v) => this.add(v)).join(", ");
  }
}

/**
 * Rows as one JSON parameter, read back by `json_to_recordset`: a whole batch is one statement and one round
 * trip, and one statement is atomic by itself. `columns` names each field with its PostgreSQL type; the rows
 * come out in the order given (`ord`).
 */
export function recordset(columns: Record<string, string>, param = "$1"): string {
  const defs = Object.entries(columns)
    .map(([name, type]) => `${name} ${type}`)
    .join(", ");
  return `ROWS FROM (json_to_recordset(${param}::json) AS (${defs})) WITH ORDINALITY AS x(${Object.keys(columns).join(", ")}, ord)`;
}

/** Rows per statement of a batch write: bounds the size of one JSON parameter. */
export const BATCH_ROWS = 5000;

export function chunks<T>(items: readonly T[], size = BATCH_ROWS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
