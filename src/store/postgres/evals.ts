import type { EvalRepo, EvalRunRecord, EvalSampleRecord } from "../evals.ts";
import { type RunRow, type SampleRow, sampleData, toRun } from "../rows.ts";
import { parseSample, type RunFailure, type RunLogV1, type RunSpec } from "../run-log.ts";
import { chunks, type PgDb, recordset } from "./db.ts";

/** Rows per page of `iterateSamples`. */
const PAGE = 1000;

export class PgEvalRepo implements EvalRepo {
  readonly #db: PgDb;

  constructor(db: PgDb) {
    this.#db = db;
  }

  async ensureRun(run: { id: string; modelId: string; identity: object; spec: RunSpec }): Promise<EvalRunRecord> {
    await this.#db.run(
      `INSERT INTO eval_runs (id, model_id, model_json, config_json, status) VALUES ($1, $2, $3, $4, 'running')
       ON CONFLICT (id) DO NOTHING`,
      [run.id, run.modelId, JSON.stringify(run.identity), JSON.stringify(run.spec)],
    );
    // A statement of its own: under READ COMMITTED it sees a row that another process inserted meanwhile.
    const r = await this.#db.one<RunRow>("SELECT * FROM eval_runs WHERE id = $1", [run.id]);
    return toRun(r as RunRow);
  }

  async getRun(id: string): Promise<EvalRunRecord | undefined> {
    const r = await this.#db.one<RunRow>("SELECT * FROM eval_runs WHERE id = $1", [id]);
    return r ? toRun(r) : undefined;
  }

  async findRuns(prefix: string): Promise<EvalRunRecord[]> {
    const rows = await this.#db.query<RunRow>(
      "SELECT * FROM eval_runs WHERE left(id, length($1)) = $1 ORDER BY created_at, id",
      [prefix],
    );
    return rows.map(toRun);
  }

  async listRuns(): Promise<EvalRunRecord[]> {
    return (await this.#db.query<RunRow>("SELECT * FROM eval_runs ORDER BY created_at, id")).map(toRun);
  }

  async finishRun(id: string, log: RunLogV1): Promise<void> {
    await this.#db.run(
      `UPDATE eval_runs SET status = 'complete', failure_json = NULL, results_json = $1, updated_at = modelmap_now() WHERE id = $2`,
      [JSON.stringify(log), id],
    );
  }

  async failRun(id: string, failure: RunFailure): Promise<void> {
    await this.#db.run(
      "UPDATE eval_runs SET status = 'failed', failure_json = $1, updated_at = modelmap_now() WHERE id = $2",
      [JSON.stringify(failure), id],
    );
  }

  async markRunning(id: string): Promise<void> {
    await this.#db.run(
      "UPDATE eval_runs SET status = 'running', failure_json = NULL, updated_at = modelmap_now() WHERE id = $1",
      [id],
    );
  }

  async cacheGet(keys: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const part of chunks(keys)) {
      const rows = await this.#db.query<{ key: string; value: string }>(
        "SELECT key, value FROM eval_cache WHERE key = ANY($1::text[])",
        [part],
      );
      for (const r of rows) out.set(r.key, r.value);
    }
    return out;
  }

  cachePut(runId: string, entries: Array<{ key: string; value: string }>): Promise<void> {
    return this.#db.atomic(async () => {
      for (const part of chunks(entries)) {
        await this.#db.run(
          `INSERT INTO eval_cache (key, value) SELECT key, value FROM ${recordset({ key: "text", value: "text" })}
           ORDER BY ord ON CONFLICT (key) DO NOTHING`,
          [JSON.stringify(part)],
        );
        await this.#db.run("DELETE FROM eval_errors WHERE run_id = $1 AND key = ANY($2::text[])", [
          runId,
          part.map((e) => e.key),
        ]);
      }
    });
  }

  async recordErrors(runId: string, entries: Array<{ key: string; message: string; reason: string }>): Promise<void> {
    // A key listed twice keeps its last entry, as one INSERT ... ON CONFLICT per entry would.
    const last = [...new Map(entries.map((e) => [e.key, e])).values()];
    const write = async (part: typeof last) => {
      await this.#db.run(
        `INSERT INTO eval_errors (run_id, key, message, reason)
         SELECT $2, key, message, reason FROM ${recordset({ key: "text", message: "text", reason: "text" })} ORDER BY ord
         ON CONFLICT (run_id, key) DO UPDATE SET message = excluded.message, reason = excluded.reason`,
        [JSON.stringify(part), runId],
      );
    };
    const parts = chunks(last);
    if (parts.length === 1) await write(parts[0] as typeof last);
    else if (parts.length > 1)
      await this.#db.atomic(async () => {
        for (const part of parts) await write(part);
      });
  }

  async runErrors(runId: string, keys: string[]): Promise<Map<string, { message: string; reason: string }>> {
    const out = new Map<string, { message: string; reason: string }>();
    for (const part of chunks(keys)) {
      const rows = await this.#db.query<{ key: string; message: string; reason: string }>(
        "SELECT key, message, reason FROM eval_errors WHERE run_id = $1 AND key = ANY($2::text[])",
        [runId, part],
      );
      for (const r of rows) out.set(r.key, { message: r.message, reason: r.reason });
    }
    return out;
  }

  async putSamples(runId: string, samples: EvalSampleRecord[]): Promise<void> {
    // Like INSERT OR REPLACE, a (task, doc) listed twice keeps its last sample.
    const last = [...new Map(samples.map((s) => [`${s.task}\u0000${s.docId}`, s])).values()];
    const write = async (part: typeof last) => {
      await this.#db.run(
        `INSERT INTO eval_samples (run_id, task, doc_id, data_json, scores_json, error)
         SELECT $2, task, doc_id, data_json, scores_json, error
         FROM ${recordset({ task: "text", doc_id: "bigint", data_json: "text", scores_json: "text", error: "text" })}
         ORDER BY ord
         ON CONFLICT (run_id, task, doc_id) DO UPDATE SET data_json = excluded.data_json,
           scores_json = excluded.scores_json, error = excluded.error`,
        [
          JSON.stringify(
            part.map((s) => ({
              task: s.task,
              doc_id: s.docId,
              data_json: JSON.stringify(sampleData(s)),
              scores_json: JSON.stringify(s.scores),
              error: s.error,
            })),
          ),
          runId,
        ],
      );
    };
    const parts = chunks(last, 1000);
    if (parts.length === 1) await write(parts[0] as typeof last);
    else if (parts.length > 1)
      await this.#db.atomic(async () => {
        for (const part of parts) await write(part);
      });
  }

  async *iterateSamples(runId: string, task?: string): AsyncIterableIterator<EvalSampleRecord> {
    // Keyset pages on the sort key, never a cursor held open between two of the caller's steps.
    const cols = "SELECT task, doc_id, data_json, scores_json, error FROM eval_samples WHERE run_id = $1";
    const t = task ?? null;
    let page = await this.#db.query<SampleRow>(
      `${cols} AND ($2::text IS NULL OR task = $2) ORDER BY task, doc_id LIMIT ${PAGE}`,
      [runId, t],
    );
    while (page.length > 0) {
      for (const r of page)
        yield parseSample(
          { task: r.task, docId: r.doc_id, error: r.error },
          JSON.parse(r.data_json),
          JSON.parse(r.scores_json),
        );
      const last = page[page.length - 1] as SampleRow;
      page = await this.#db.query<SampleRow>(
        `${cols} AND ($2::text IS NULL OR task = $2) AND (task, doc_id) > ($3, $4) ORDER BY task, doc_id LIMIT ${PAGE}`,
        [runId, t, last.task, last.doc_id],
      );
    }
  }

  sampleTasks(runId: string): Promise<Array<{ task: string; n: number; errors: number }>> {
    return this.#db.query(
      "SELECT task, count(*) AS n, count(error) AS errors FROM eval_samples WHERE run_id = $1 GROUP BY task ORDER BY task",
      [runId],
    );
  }
}
