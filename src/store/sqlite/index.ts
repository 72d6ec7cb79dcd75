import type { Store } from "../store.ts";
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

  constructor(path: string) {
    this.path = path;
    this.db = openDb(path);
    this.votes = new SqliteVoteRepo(this.db);
    this.capmap = new SqliteCapmapRepo(this.db);
    this.evals = new SqliteEvalRepo(this.db);
    this.judging = new SqliteJudgingRepo(this.db);
    this.labeling = new SqliteLabelingRepo(this.db);
    this.checks = new SqliteCheckRepo(this.db);
  }

  /** One transaction wrapper reused for every call: creating one per call prepares BEGIN/COMMIT each time. */
  #tx: (((fn: () => unknown) => unknown) & { immediate(fn: () => unknown): unknown }) | undefined;

  transaction<T>(fn: () => T): T {
    this.#tx ??= this.db.transaction((f: () => unknown) => f());
    return this.#tx.immediate(fn) as T;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export function openStore(path: string): SqliteStore {
  return new SqliteStore(path);
}
