/**
 * Storage contract of the benchmark harness: runs, a persistent request cache shared by all runs (keyed by a
 * hash of everything that changes an answer), per-run request errors (never cached), and per-document samples.
 * Every write is one transaction, so a run killed at any point leaves only whole results behind. Runs and samples
 * come back typed (`run-log.ts`), parsed once here; records written by older versions are converted on read.
 */
import type { EvalSample, RunFailure, RunLogV1, RunSpec } from "./run-log.ts";

/** `failed`: the run stopped on an error (its reason is recorded); running the same command again resumes it. */
export type EvalRunStatus = "running" | "complete" | "failed";

export interface EvalRunRecord {
  id: string;
  modelId: string;
  /** The backend's identity as recorded (engine, name, file hash, endpoint). */
  identity: Record<string, unknown>;
  spec: RunSpec;
  status: EvalRunStatus;
  /** Why the run failed (status `failed`); null otherwise. */
  failure: RunFailure | null;
  /** The results, once complete. */
  log: RunLogV1 | null;
  createdAt: string;
  updatedAt: string;
}

export type EvalSampleRecord = EvalSample;

export interface EvalRepo {
  /** Creates the run if it does not exist; returns the stored record either way. */
  ensureRun(run: { id: string; modelId: string; identity: object; spec: RunSpec }): Promise<EvalRunRecord>;
  getRun(id: string): Promise<EvalRunRecord | undefined>;
  /** Runs whose id starts with the prefix (for short ids on the command line). */
  findRuns(prefix: string): Promise<EvalRunRecord[]>;
  listRuns(): Promise<EvalRunRecord[]>;
  finishRun(id: string, log: RunLogV1): Promise<void>;
  /** Marks the run failed with its reason; its samples and cached answers stay for a resume. */
  failRun(id: string, failure: RunFailure): Promise<void>;
  /** Back to `running` (a resume, or a rerun of a complete run); clears a recorded failure. */
  markRunning(id: string): Promise<void>;

  /** Cached results (JSON text) for the keys that have one. */
  cacheGet(keys: string[]): Promise<Map<string, string>>;
  /** Stores results and clears the run's recorded errors for these keys, in one transaction. */
  cachePut(runId: string, entries: Array<{ key: string; value: string }>): Promise<void>;
  /** `reason`: the error's code (`backend`, `unsupported`, ...). */
  recordErrors(runId: string, entries: Array<{ key: string; message: string; reason: string }>): Promise<void>;
  runErrors(runId: string, keys: string[]): Promise<Map<string, { message: string; reason: string }>>;

  /** Writes (replaces) samples in one transaction; (run, task, doc) is unique so a resume never duplicates. */
  putSamples(runId: string, samples: EvalSampleRecord[]): Promise<void>;
  iterateSamples(runId: string, task?: string): AsyncIterableIterator<EvalSampleRecord>;
  sampleTasks(runId: string): Promise<Array<{ task: string; n: number; errors: number }>>;
}
