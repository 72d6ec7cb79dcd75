import type { EvalRepo, EvalRunRecord, EvalSampleRecord } from "../evals.ts";
import { type RunRow, type SampleRow, sampleData, toRun } from "../rows.ts";
import { parseSample, type RunFailure, type RunLogV1, type RunSpec } from "../run-log.ts";
import type { Sync } from "./async.ts";
import type { Db } from "./db.ts";

const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";
/** SQLite's default limit on bound parameters is 32766; stay well under it. */
const CHUNK = 500;
/** Rows per page of `iterateSamples`. */
const PAGE = 1000;

export class SqliteEvalRepo implements Sync<EvalRepo> {
  readonly #db: Db;
  readonly #putCache;
  readonly #clearError;
  readonly #putError;
  readonly #putSample;

  constructor(db: Db) {
    this.#db = db;
    this.#putCache = db.prepare("INSERT OR IGNORE INTO eval_cache (key, value) VALUES (?, ?)");
    this.#clearError = db.prepare("DELETE FROM eval_errors WHERE run_id = ? AND key = ?");
    this.#putError = db.prepare(
      "INSERT INTO eval_errors (run_id, key, message, reason) VALUES (?, ?, ?, ?) ON CONFLICT(run_id, key) DO UPDATE SET message = excluded.message, reason = excluded.reason",
    );
    this.#putSample = db.prepare(
      "INSERT OR REPLACE INTO eval_samples (run_id, task, doc_id, data_json, scores_json, error) VALUES (?, ?, ?, ?, ?, ?)",
    );
  }

  ensureRun(run: { id: string; modelId: string; identity: object; spec: RunSpec }): EvalRunRecord {
    this.#db
      .prepare(
        "INSERT OR IGNORE INTO eval_runs (id, model_id, model_json, config_json, status) VALUES (?, ?, ?, ?, 'running')",
      )
      .run(run.id, run.modelId, JSON.stringify(run.identity), JSON.stringify(run.spec));
    return this.getRun(run.id) as EvalRunRecord;
  }

  getRun(id: string): EvalRunRecord | undefined {
    const r = this.#db.prepare("SELECT * FROM eval_runs WHERE id = ?").get(id) as RunRow | undefined;
    return r ? toRun(r) : undefined;
  }

  findRuns(prefix: string): EvalRunRecord[] {
    const rows = this.#db
      .prepare("SELECT * FROM eval_runs WHERE substr(id, 1, length(?)) = ? ORDER BY created_at")
      .all(prefix, prefix) as RunRow[];
    return rows.map(toRun);
  }

  listRuns(): EvalRunRecord[] {
    return (this.#db.prepare("SELECT * FROM eval_runs ORDER BY created_at, id").all() as RunRow[]).map(toRun);
  }

  finishRun(id: string, log: RunLogV1): void {
    this.#db
      .prepare(
        `UPDATE eval_runs SET status = 'complete', failure_json = NULL, results_json = ?, updated_at = ${NOW} WHERE id = ?`,
      )
      .run(JSON.stringify(log), id);
  }

  failRun(id: string, failure: RunFailure): void {
    this.#db
      .prepare(`UPDATE eval_runs SET status = 'failed', failure_json = ?, updated_at = ${NOW} WHERE id = ?`)
      .run(JSON.stringify(failure), id);
  }

  markRunning(id: string): void {
    this.#db
      .prepare(`UPDATE eval_runs SET status = 'running', failure_json = NULL, updated_at = ${NOW} WHERE id = ?`)
      .run(id);
  }

  cacheGet(keys: string[]): Map<string, string> {
    const out = new Map<string, string>();
    for (let i = 0; i < keys.length; i += CHUNK) {
      const part = keys.slice(i, i + CHUNK);
      const rows = this.#db
        .prepare(`SELECT key, value FROM eval_cache WHERE key IN (${part.map(() => "?").join(",")})`)
        .all(...part) as Array<{ key: string; value: string }>;
      for (const r of rows) out.set(r.key, r.value);
    }
    return out;
  }

  cachePut(runId: string, entries: Array<{ key: string; value: string }>): void {
    this.#db
      .transaction(() => {
        for (const e of entries) {
          this.#putCache.run(e.key, e.value);
          this.#clearError.run(runId, e.key);
        }
      })
      .immediate();
  }

  recordErrors(runId: string, entries: Array<{ key: string; message: string; reason: string }>): void {
    this.#db
      .transaction(() => {
        for (const e of entries) this.#putError.run(runId, e.key, e.message, e.reason);
      })
      .immediate();
  }

  runErrors(runId: string, keys: string[]): Map<string, { message: string; reason: string }> {
    const out = new Map<string, { message: string; reason: string }>();
    for (let i = 0; i < keys.length; i += CHUNK) {
      const part = keys.slice(i, i + CHUNK);
      const rows = this.#db
        .prepare(
          `SELECT key, message, reason FROM eval_errors WHERE run_id = ? AND key IN (${part.map(() => "?").join(",")})`,
        )
        .all(runId, ...part) as Array<{ key: string; message: string; reason: string }>;
      for (const r of rows) out.set(r.key, { message: r.message, reason: r.reason });
    }
    return out;
  }

  putSamples(runId: string, samples: EvalSampleRecord[]): void {
    this.#db
      .transaction(() => {
        for (const s of samples)
          this.#putSample.run(runId, s.task, s.docId, JSON.stringify(sampleData(s)), JSON.stringify(s.scores), s.error);
      })
      .immediate();
  }

  *iterateSamples(runId: string, task?: string): IterableIterator<EvalSampleRecord> {
    // Pages on the sort key, never an open cursor: other statements run on the connection between two pages.
    const cols = "SELECT task, doc_id, data_json, scores_json, error FROM eval_samples WHERE run_id = ?";
    const first = this.#db.prepare(`${cols} AND (? IS NULL OR task = ?) ORDER BY task, doc_id LIMIT ${PAGE}`);
    const next = this.#db.prepare(
      `${cols} AND (? IS NULL OR task = ?) AND (task, doc_id) > (?, ?) ORDER BY task, doc_id LIMIT ${PAGE}`,
    );
    const t = task ?? null;
    let page = first.all(runId, t, t) as SampleRow[];
    while (page.length > 0) {
      for (const r of page)
        yield parseSample(
          { task: r.task, docId: r.doc_id, error: r.error },
          JSON.parse(r.data_json),
          JSON.parse(r.scores_json),
        );
      const last = page[page.length - 1] as SampleRow;
      page = next.all(runId, t, t, last.task, last.doc_id) as SampleRow[];
    }
  }

  sampleTasks(runId: string): Array<{ task: string; n: number; errors: number }> {
    return this.#db
      .prepare(
        "SELECT task, count(*) AS n, sum(error IS NOT NULL) AS errors FROM eval_samples WHERE run_id = ? GROUP BY task ORDER BY task",
      )
      .all(runId) as Array<{ task: string; n: number; errors: number }>;
  }
}
