import type { Store } from "../store.ts";
import { SqliteAbRepo, SqliteMetaRepo } from "./ab.ts";
import { SqliteCapmapRepo } from "./capmap.ts";
import { SqliteCheckRepo } from "./contamination.ts";
import { type Db, openDb } from "./db.ts";
import { SqliteEvalRepo } from "./evals.ts";
import { SqliteJudgingRepo } from "./judging.ts";
import { SqliteLabelingRepo } from "./labeling.ts";
import { SqliteVoteRepo } from "./votes.ts";

export class SqliteStore implements Store {
  readonly path: string;
  readonly db: Db;
  readonly votes: SqliteVoteRepo;
  readonly capmap: SqliteCapmapRepo;
  readonly evals: SqliteEvalRepo;
  readonly judging: SqliteJudgingRepo;
  readonly labeling: SqliteLabelingRepo;
  readonly checks: SqliteCheckRepo;
  readonly ab: SqliteAbRepo;
  readonly meta: SqliteMetaRepo;

  constructor(path: string) {
    this.path = path;
    this.db = openDb(path);
    this.votes = new SqliteVoteRepo(this.db);
    this.capmap = new SqliteCapmapRepo(this.db);
    this.evals = new SqliteEvalRepo(this.db);
    this.judging = new SqliteJudgingRepo(this.db);
    this.labeling = new SqliteLabelingRepo(this.db);
    this.checks = new SqliteCheckRepo(this.db);
    this.ab = new SqliteAbRepo(this.db);
    this.meta = new SqliteMetaRepo(this.db);
  }

  /** One transaction wrapper reused for every call: creating one per call prepares BEGIN/COMMIT each time. */
  #tx: (((fn: () => unknown) => unknown) & { immediate(fn: () => unknown): unknown }) | undefined;

  transaction<T>(fn: () => T): T {
    this.#tx ??= this.db.transaction((f: () => unknown) => f());
    return this.#tx.immediate(fn) as T;
  }

  #queue: Array<{ fn: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }> = [];

  groupCommit<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.#queue.length === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#queue;
    this.#queue = [];
    const results: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      if (!this.db.open) throw new Error("the store is closed");
      this.transaction(() => {
        for (const job of batch) {
          try {
            results.push({ ok: true, value: this.transaction(job.fn) });
          } catch (error) {
            results.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const job of batch) job.reject(error);
      return;
    }
    batch.forEach((job, i) => {
      const r = results[i] as (typeof results)[number];
      if (r.ok) job.resolve(r.value);
      else job.reject(r.error);
    });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export function openStore(path: string): SqliteStore {
  return new SqliteStore(path);
}
