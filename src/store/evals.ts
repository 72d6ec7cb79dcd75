/**
 * Storage contract of the benchmark harness: runs, a persistent request cache shared by all runs (keyed by a
 * hash of everything that changes an answer), per-run request errors (never cached), and per-document samples.
 * Every write is one transaction, so a run killed at any point leaves only whole results behind.
 */

export type EvalRunStatus = "running" | "complete";

export interface EvalRunRecord {
  id: string;
  modelId: string;
  /** JSON: backend identity. */
  model: unknown;
  /** JSON: everything the run was asked to do. */
  config: unknown;
  status: EvalRunStatus;
  /** JSON: the results object, once complete. */
  results: unknown;
  createdAt: string;
  updatedAt: string;
}

export interface EvalSampleRecord {
  task: string;
  docId: number;
  /** JSON-able sample: prompt, raw output, extracted answers, target, scores, timings. */
  data: unknown;
  /** Metric name -> score; absent metrics when the sample failed. */
  scores: Record<string, number>;
  error: string | null;
}

export interface EvalRepo {
  /** Creates the run if it does not exist; returns the stored record either way. */
  ensureRun(run: { id: string; modelId: string; model: unknown; config: unknown }): Promise<EvalRunRecord>;
  getRun(id: string): Promise<EvalRunRecord | undefined>;
  /** Runs whose id starts with the prefix (for short ids on the command line). */
  findRuns(prefix: string): Promise<EvalRunRecord[]>;
  listRuns(): Promise<EvalRunRecord[]>;
  finishRun(id: string, results: unknown): Promise<void>;
  markRunning(id: string): Promise<void>;

  /** Cached results (JSON text) for the keys that have one. */
  cacheGet(keys: string[]): Promise<Map<string, string>>;
  /** Stores results and clears the run's recorded errors for these keys, in one transaction. */
  cachePut(runId: string, entries: Array<{ key: string; value: string }>): Promise<void>;
  recordErrors(runId: string, entries: Array<{ key: string; message: string }>): Promise<void>;
  runErrors(runId: string, keys: string[]): Promise<Map<string, string>>;

  /** Writes (replaces) samples in one transaction; (run, task, doc) is unique so a resume never duplicates. */
  putSamples(runId: string, samples: EvalSampleRecord[]): Promise<void>;
  iterateSamples(runId: string, task?: string): AsyncIterableIterator<EvalSampleRecord>;
  sampleTasks(runId: string): Promise<Array<{ task: string; n: number; errors: number }>>;
}
