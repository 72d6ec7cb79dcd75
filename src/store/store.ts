import type { Vote } from "../core/votes.ts";
import type { AbRepo, MetaRepo } from "./ab.ts";
import type { CapmapRepo } from "./capmap.ts";
import type { CheckRepo } from "./contamination.ts";
import type { EvalRepo } from "./evals.ts";
import type { JudgingRepo } from "./judging.ts";
import type { LabelingRepo } from "./labeling.ts";
import type { TableAccess } from "./tables.ts";

/**
 * The storage interface. Only `store/` imports database drivers; services see this interface. Every call is
 * asynchronous, so that one interface fits an embedded database (SQLite) and a server (PostgreSQL): see
 * docs/decisions/0006-async-store.md. Each domain has its own repository so that one file does not have to know
 * everything.
 */
export interface Store {
  /** Where the data lives: a file path, `:memory:`, or a PostgreSQL URL without its password. */
  readonly path: string;
  readonly votes: VoteRepo;
  /** The capability map: models, evidence, cells (src/capmap). */
  readonly capmap: CapmapRepo;
  readonly evals: EvalRepo;
  /** Prompt sets, model answers and LLM judgments (src/judge). */
  readonly judging: JudgingRepo;
  /** Blind human labeling: labelers, campaigns, assignments (src/labeling). */
  readonly labeling: LabelingRepo;
  /** Contamination checks and prompt-sensitivity reports (src/contamination, src/sensitivity). */
  readonly checks: CheckRepo;
  /** Online experiments (src/ab). */
  readonly ab: AbRepo;
  /** Meta-evaluations of the map's signals against a reference (src/meta). */
  readonly meta: MetaRepo;
  /** Every table row by row, below the repositories: for `modelmap db copy` only (store/tables.ts). */
  readonly tables: TableAccess;
  /**
   * Runs `fn` in one transaction: all of it is written or none of it. Every call made through this store while
   * `fn` runs (in its async context) joins the transaction; a transaction inside a transaction is a savepoint.
   * `fn` should await only store calls: other callers wait while it holds the database (SQLite) or a
   * connection (PostgreSQL). Nested transactions must not run concurrently with each other. A repository call
   * that fails rolls back alone; to go on after a failed call whose error you catch, make it a nested
   * transaction: on PostgreSQL any failed statement aborts the transaction, and its commit then throws.
   */
  transaction<T>(fn: () => Promise<T> | T): Promise<T>;
  /**
   * Group commit: runs `fn` atomically, and settles after its commit, so a caller that answers on resolution
   * never acknowledges unwritten data; one that throws rolls back alone and rejects its own promise. SQLite
   * (one writer) queues it with every other call of the same turn of the event loop into one transaction, each
   * `fn` in its own savepoint: if that commit fails every queued call is rejected, but in-memory side effects
   * of the `fn`s have already happened. PostgreSQL runs each call in its own transaction, concurrently, and
   * runs one again that the server aborted as a deadlock's victim. Not callable inside a transaction.
   */
  groupCommit<T>(fn: () => Promise<T> | T): Promise<T>;
  /**
   * For a call whose every write is one statement that is atomic by itself and which is correct without a
   * transaction around it (the labeling service's next and vote): settles after its writes are committed, so a
   * caller that answers on resolution never acknowledges unwritten data. SQLite: the group commit (one fsync per
   * batch is what saves there). PostgreSQL: no transaction of its own, each statement commits alone on a pooled
   * connection, which saves the BEGIN and COMMIT round trips. Not callable inside a transaction.
   */
  eachCommit<T>(fn: () => Promise<T> | T): Promise<T>;
  close(): Promise<void>;
}

export interface StoredVote extends Vote {
  id: number;
  source: string;
}

export interface VoteQuery {
  sources?: string[];
  /** field=value filters on judge, category, language, prompt_id, source, model. */
  filters?: Array<{ field: string; value: string }>;
}

export interface VoteImport {
  source: string;
  file: string;
  fileSha256: string;
  votes: Vote[];
}

export interface VoteRepo {
  /** Stores all votes of one import atomically. Returns false if this file was already imported into this source. */
  importBatch(batch: VoteImport): Promise<{ inserted: number; duplicate: boolean }>;
  /** Adds votes (from judges and labelers) atomically. */
  add(source: string, votes: Vote[]): Promise<number[]>;
  /** Streams stored votes matching the query. */
  iterate(query?: VoteQuery): AsyncIterableIterator<StoredVote>;
  count(query?: VoteQuery): Promise<number>;
  sources(): Promise<Array<{ source: string; votes: number; firstAt: string; lastAt: string }>>;
  deleteSource(source: string): Promise<number>;
}
