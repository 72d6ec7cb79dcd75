import type { AbExperiment, AbRepo, MetaRepo, MetaReportRecord } from "../ab.ts";
import { type ExperimentRow, toExperiment, toVariant, type VariantRow } from "../rows.ts";
import type { Sync } from "./async.ts";
import type { Db } from "./db.ts";

/** Queries for online experiments with their variants, and stored meta-evaluations of signals (schema: migration 7). */

const EXPERIMENT_COLS =
  "e.id, e.line, i.file, e.category, e.start_at, e.end_at, e.metric, e.kind, e.higher_is_better FROM ab_experiments e JOIN ab_imports i ON i.id = e.import_id";

export class SqliteAbRepo implements Sync<AbRepo> {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  put(batch: { file: string; fileSha256: string; experiments: AbExperiment[] }): {
    inserted: number;
    replaced: number;
  } {
    const exists = this.#db.prepare("SELECT 1 FROM ab_experiments WHERE id = ?").pluck();
    const del = this.#db.prepare("DELETE FROM ab_experiments WHERE id = ?");
    const insExp = this.#db.prepare(
      `INSERT INTO ab_experiments (id, import_id, line, category, start_at, end_at, metric, kind, higher_is_better)
       VALUES (@id, @import_id, @line, @category, @start_at, @end_at, @metric, @kind, @higher_is_better)`,
    );
    const insVar = this.#db.prepare(
      `INSERT INTO ab_variants (experiment_id, idx, name, model, model_id, preset, planned_share, units, successes, mean, sd,
         numerator_mean, denominator_mean, numerator_sd, denominator_sd, covariance)
       VALUES (@experiment_id, @idx, @name, @model, @model_id, @preset, @planned_share, @units, @successes, @mean, @sd,
         @numerator_mean, @denominator_mean, @numerator_sd, @denominator_sd, @covariance)`,
    );
    const run = this.#db.transaction(() => {
      const importId = this.#db
        .prepare("INSERT INTO ab_imports (file, file_sha256, experiments) VALUES (?, ?, ?)")
        .run(batch.file, batch.fileSha256, batch.experiments.length).lastInsertRowid;
      let replaced = 0;
      for (const e of batch.experiments) {
        if (exists.get(e.id) !== undefined) {
          del.run(e.id);
          replaced++;
        }
        insExp.run({
          id: e.id,
          import_id: importId,
          line: e.line ?? null,
          category: e.category,
          start_at: e.start,
          end_at: e.end,
          metric: e.metric,
          kind: e.kind,
          higher_is_better: e.higherIsBetter ? 1 : 0,
        });
        e.variants.forEach((v, idx) => {
          insVar.run({
            experiment_id: e.id,
            idx,
            name: v.name,
            model: v.model,
            model_id: v.modelId,
            preset: v.preset ?? null,
            planned_share: v.plannedShare ?? null,
            units: v.units,
            successes: v.successes ?? null,
            mean: v.mean ?? null,
            sd: v.sd ?? null,
            numerator_mean: v.numeratorMean ?? null,
            denominator_mean: v.denominatorMean ?? null,
            numerator_sd: v.numeratorSd ?? null,
            denominator_sd: v.denominatorSd ?? null,
            covariance: v.covariance ?? null,
          });
        });
      }
      return { inserted: batch.experiments.length - replaced, replaced };
    });
    return run.immediate();
  }

  list(query: { category?: string | undefined } = {}): AbExperiment[] {
    const rows = (
      query.category === undefined
        ? this.#db.prepare(`SELECT ${EXPERIMENT_COLS} ORDER BY e.category, e.start_at, e.id`).all()
        : this.#db
            .prepare(`SELECT ${EXPERIMENT_COLS} WHERE e.category = ? ORDER BY e.start_at, e.id`)
            .all(query.category)
    ) as ExperimentRow[];
    return this.#withVariants(rows);
  }

  get(id: string): AbExperiment | undefined {
    const row = this.#db.prepare(`SELECT ${EXPERIMENT_COLS} WHERE e.id = ?`).get(id) as ExperimentRow | undefined;
    return row ? this.#withVariants([row])[0] : undefined;
  }

  count(): number {
    return this.#db.prepare("SELECT COUNT(*) FROM ab_experiments").pluck().get() as number;
  }

  #withVariants(rows: ExperimentRow[]): AbExperiment[] {
    const out = new Map<string, AbExperiment>();
    for (const r of rows) {
      out.set(r.id, toExperiment(r));
    }
    if (out.size === 0) return [];
    // One query for every variant: a few thousand experiments at most, so an IN list of ids is fine.
    const ids = [...out.keys()];
    const variants = this.#db
      .prepare(
        `SELECT * FROM ab_variants WHERE experiment_id IN (SELECT value FROM json_each(?)) ORDER BY experiment_id, idx`,
      )
      .all(JSON.stringify(ids)) as VariantRow[];
    for (const v of variants) out.get(v.experiment_id)?.variants.push(toVariant(v));
    return [...out.values()];
  }
}

export class SqliteMetaRepo implements Sync<MetaRepo> {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  put(reference: string, category: string, report: unknown): void {
    this.#db
      .prepare(
        `INSERT INTO meta_reports (reference, category, report_json) VALUES (?, ?, ?)
         ON CONFLICT(reference, category) DO UPDATE SET report_json = excluded.report_json,
           created_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`,
      )
      .run(reference, category, JSON.stringify(report));
  }

  latestForCategory(category: string): MetaReportRecord | undefined {
    const r = this.#db
      .prepare(
        "SELECT reference, category, report_json, created_at FROM meta_reports WHERE category = ? ORDER BY created_at DESC, rowid DESC LIMIT 1",
      )
      .get(category) as { reference: string; category: string; report_json: string; created_at: string } | undefined;
    return r
      ? { reference: r.reference, category: r.category, report: JSON.parse(r.report_json), createdAt: r.created_at }
      : undefined;
  }

  list(): MetaReportRecord[] {
    const rows = this.#db
      .prepare("SELECT reference, category, report_json, created_at FROM meta_reports ORDER BY category, reference")
      .all() as Array<{ reference: string; category: string; report_json: string; created_at: string }>;
    return rows.map((r) => ({
      reference: r.reference,
      category: r.category,
      report: JSON.parse(r.report_json),
      createdAt: r.created_at,
    }));
  }
}
