import type pg from "pg";
import { ModelmapError } from "../../core/errors.ts";
import type { AbRepo, MetaRepo } from "../ab.ts";
import type { CapmapRepo } from "../capmap.ts";
import type { CheckRepo } from "../contamination.ts";
import type { EvalRepo } from "../evals.ts";
import type { JudgingRepo } from "../judging.ts";
import type { LabelingRepo } from "../labeling.ts";
import { redactUrl } from "../location.ts";
import type { Store, VoteRepo } from "../store.ts";
import type { TableAccess } from "../tables.ts";
import { currentTx } from "../tx.ts";
import { PgAbRepo, PgMetaRepo } from "./ab.ts";
import { PgCapmapRepo } from "./capmap.ts";
import { PgCheckRepo } from "./contamination.ts";
import { connectError, createPool, PgDb, type PoolOptions, sqlState } from "./db.ts";
import { PgEvalRepo } from "./evals.ts";
import { PgJudgingRepo } from "./judging.ts";
import { PgLabelingRepo } from "./labeling.ts";
import { migrate } from "./migrate.ts";
import { PgTables } from "./tables.ts";
import { PgVoteRepo } from "./votes.ts";

/** groupCommit's pause before running an aborted transaction again, times the attempt (ms). */
const RETRY_PAUSE_MS = 10;

/**
 * The store on a PostgreSQL server (docs/decisions/0010-postgres.md): the same repositories as the SQLite store,
 * on a connection pool. Outside a transaction each call takes any pooled connection; `transaction` holds one
 * connection for its length and every store call in its async context runs on it.
 */
export class PostgresStore implements Store {
  /** The URL without its password. */
  readonly path: string;
  /**
   * The pool, for code that needs the database beyond the store's repositories: a job queue (pg-boss) can run
   * its SQL through it (`pool.query(text, values)`) or open its own pool on `url`.
   */
  readonly pool: pg.Pool;
  /** The URL as given, password included: for opening another pool on the same database. */
  readonly url: string;
  readonly votes: VoteRepo;
  readonly capmap: CapmapRepo;
  readonly evals: EvalRepo;
  readonly judging: JudgingRepo;
  readonly labeling: LabelingRepo;
  readonly checks: CheckRepo;
  readonly ab: AbRepo;
  readonly meta: MetaRepo;
  readonly tables: TableAccess;
  readonly #db: PgDb;
  #closed: Promise<void> | undefined;

  /** Use `openPostgresStore`, which also brings the schema up to date. */
  constructor(url: string, pool: pg.Pool) {
    this.url = url;
    this.path = redactUrl(url);
    this.pool = pool;
    const db = new PgDb(this, pool);
    this.#db = db;
    this.votes = new PgVoteRepo(db);
    this.capmap = new PgCapmapRepo(db);
    this.evals = new PgEvalRepo(db);
    this.judging = new PgJudgingRepo(db);
    this.labeling = new PgLabelingRepo(db);
    this.checks = new PgCheckRepo(db);
    this.ab = new PgAbRepo(db);
    this.meta = new PgMetaRepo(db);
    this.tables = new PgTables(pool);
  }

  transaction<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.#db.transaction(fn);
  }

  /**
   * Runs one SQL statement where a store call made now would run: on the open transaction's connection inside
   * `transaction` (so it commits or rolls back with it), else on any pooled connection. It is the `db` adapter a
   * job queue takes (pg-boss: `new PgBoss({ db: { executeSql: (text, values) => store.executeSql(text, values) } })`),
   * so that a job enqueued inside a transaction exists exactly when the transaction's other writes do. A
   * property, not a method: it keeps working when a library takes it off the store.
   */
  readonly executeSql = (
    text: string,
    values?: unknown[],
  ): Promise<{ rows: Array<Record<string, unknown>>; rowCount: number }> =>
    this.#db
      .conn()
      .query(text, values)
      .then((r) => ({ rows: r.rows, rowCount: r.rowCount ?? 0 }));

  /**
   * Each call in its own transaction, at once on the pool's connections, rather than queued into one: the server
   * runs concurrent transactions side by side and groups their commits' WAL flushes itself, while one shared
   * transaction would run every queued call one after another on one connection (each behind the others' round
   * trips) and add a savepoint to each. Two processes' transactions can wait for each other's rows; the one the
   * server aborts (deadlock, serialization failure) runs again, at most twice, after a pause of RETRY_PAUSE_MS
   * times its attempt: run again at once, it could take a row back before the transaction that won had taken it,
   * and deadlock with it a second time (seen once in a CI run on a loaded machine).
   */
  async groupCommit<T>(fn: () => Promise<T> | T): Promise<T> {
    if (currentTx(this)) throw new ModelmapError("internal", "groupCommit was called inside a transaction");
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction(fn);
      } catch (e) {
        // deadlock_detected, serialization_failure
        if (attempt >= 3 || !["40P01", "40001"].includes(sqlState(e) ?? "")) throw e;
        await new Promise((resume) => setTimeout(resume, RETRY_PAUSE_MS * attempt));
      }
    }
  }

  /** Straight on the pool: each of `fn`'s statements is its own transaction (see `Store.eachCommit`). */
  async eachCommit<T>(fn: () => Promise<T> | T): Promise<T> {
    if (currentTx(this)) throw new ModelmapError("internal", "eachCommit was called inside a transaction");
    return await fn();
  }

  /** Waits for the connections in use to come back, then closes them all. */
  close(): Promise<void> {
    this.#closed ??= this.pool.end();
    return this.#closed;
  }
}

/**
 * Connects to the database at `url` (`postgres://USER:PASSWORD@HOST:PORT/DATABASE`), brings its schema up to
 * date and returns the store. A server that cannot be reached, or a database that does not exist, is a clear
 * `config` error naming the URL without its password.
 */
export async function openPostgresStore(url: string, options: PoolOptions = {}): Promise<PostgresStore> {
  const pool = createPool(url, options);
  try {
    await migrate(pool);
  } catch (e) {
    await pool.end().catch(() => {});
    if (e instanceof ModelmapError) throw e;
    const state = sqlState(e);
    // No SQLSTATE: the server was never reached (refused, unknown host). 08: connection, 28: authentication.
    if (state === undefined || state.startsWith("08") || state.startsWith("28") || state === "3D000")
      throw connectError(url, e);
    throw e;
  }
  return new PostgresStore(url, pool);
}
