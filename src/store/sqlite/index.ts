import type { AbRepo, MetaRepo } from "../ab.ts";
import type { CapmapRepo } from "../capmap.ts";
import type { CheckRepo } from "../contamination.ts";
import type { EvalRepo } from "../evals.ts";
import type { JudgingRepo } from "../judging.ts";
import type { LabelingRepo } from "../labeling.ts";
import type { Store, VoteRepo } from "../store.ts";
import type { TableAccess } from "../tables.ts";
import { currentTx, GroupCommit, inSavepoint, runInTx, type TxContext } from "../tx.ts";
import { SqliteAbRepo, SqliteMetaRepo } from "./ab.ts";
import { asyncRepo, SqliteLock } from "./async.ts";
import { SqliteCapmapRepo } from "./capmap.ts";
import { SqliteCheckRepo } from "./contamination.ts";
import { type Db, openDb } from "./db.ts";
import { SqliteEvalRepo } from "./evals.ts";
import { SqliteJudgingRepo } from "./judging.ts";
import { SqliteLabelingRepo } from "./labeling.ts";
import { SqliteTables } from "./tables.ts";
import { SqliteVoteRepo } from "./votes.ts";

export class SqliteStore implements Store {
  readonly path: string;
  /** The connection, for tests and tools that inspect the file; services go through the repositories. */
  readonly db: Db;
  readonly votes: VoteRepo;
  readonly capmap: CapmapRepo;
  readonly evals: EvalRepo;
  readonly judging: JudgingRepo;
  readonly labeling: LabelingRepo;
  readonly checks: CheckRepo;
  readonly ab: AbRepo;
  readonly meta: MetaRepo;
  readonly tables: TableAccess;
  readonly #lock: SqliteLock;
  readonly #group: GroupCommit;

  constructor(path: string) {
    this.path = path;
    this.db = openDb(path);
    const lock = new SqliteLock(this);
    this.#lock = lock;
    this.votes = asyncRepo<VoteRepo>(new SqliteVoteRepo(this.db), lock);
    this.capmap = asyncRepo<CapmapRepo>(new SqliteCapmapRepo(this.db), lock);
    this.evals = asyncRepo<EvalRepo>(new SqliteEvalRepo(this.db), lock);
    this.judging = asyncRepo<JudgingRepo>(new SqliteJudgingRepo(this.db), lock);
    this.labeling = asyncRepo<LabelingRepo>(new SqliteLabelingRepo(this.db), lock);
    this.checks = asyncRepo<CheckRepo>(new SqliteCheckRepo(this.db), lock);
    this.ab = asyncRepo<AbRepo>(new SqliteAbRepo(this.db), lock);
    this.meta = asyncRepo<MetaRepo>(new SqliteMetaRepo(this.db), lock);
    this.tables = new SqliteTables(this.db);
    this.#group = new GroupCommit(this, (fn) => this.transaction(fn));
  }

  async transaction<T>(fn: () => Promise<T> | T): Promise<T> {
    const open = currentTx<null>(this);
    if (open) return inSavepoint(open, (sql) => this.db.exec(sql), fn);
    const release = await this.#lock.acquire();
    const tx: TxContext<null> = { owner: this, conn: null, done: false, savepoints: [] };
    try {
      // IMMEDIATE takes the write lock now, so that another process cannot make this transaction fail halfway.
      this.db.exec("BEGIN IMMEDIATE");
      const value = await runInTx(tx, fn);
      tx.done = true;
      this.db.exec("COMMIT");
      return value;
    } catch (e) {
      tx.done = true;
      if (this.db.open && this.db.inTransaction) this.db.exec("ROLLBACK");
      throw e;
    } finally {
      release();
    }
  }

  groupCommit<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.#group.run(fn);
  }

  /** The group commit: on SQLite, sharing one commit (one fsync) per batch is the saving. */
  eachCommit<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.#group.run(fn);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

export function openStore(path: string): SqliteStore {
  return new SqliteStore(path);
}
