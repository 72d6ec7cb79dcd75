import type { AbExperiment, AbRepo, MetaRepo, MetaReportRecord } from "../ab.ts";
import { type ExperimentRow, toExperiment, toVariant, type VariantRow } from "../rows.ts";
import { chunks, type PgDb, recordset } from "./db.ts";

/** Queries for online experiments with their variants, and stored meta-evaluations of signals (schema: migration 7). */

const EXPERIMENT_COLS =
  "e.id, e.line, i.file, e.category, e.start_at, e.end_at, e.metric, e.kind, e.higher_is_better FROM ab_experiments e JOIN ab_imports i ON i.id = e.import_id";

const VARIANT_TYPES: Record<string, string> = {
  experiment_id: "text",
  idx: "bigint",
  name: "text",
  model: "text",
  model_id: "text",
  preset: "text",
  planned_share: "double precision",
  units: "bigint",
  successes: "bigint",
  mean: "double precision",
  sd: "double precision",
  numerator_mean: "double precision",
  denominator_mean: "double precision",
  numerator_sd: "double precision",
  denominator_sd: "double precision",
  covariance: "double precision",
};
const EXPERIMENT_TYPES: Record<string, string> = {
  id: "text",
  line: "bigint",
  category: "text",
  start_at: "text",
  end_at: "text",
  metric: "text",
  kind: "text",
  higher_is_better: "bigint",
};

export class PgAbRepo implements AbRepo {
  readonly #db: PgDb;

  constructor(db: PgDb) {
    this.#db = db;
  }

  put(batch: { file: string; fileSha256: string; experiments: AbExperiment[] }): Promise<{
    inserted: number;
    replaced: number;
  }> {
    return this.#db.atomic(async () => {
      // One import at a time: two files replacing the same experiment would otherwise both insert it.
      await this.#db.run("LOCK TABLE ab_experiments IN SHARE ROW EXCLUSIVE MODE");
      const imp = await this.#db.one<{ id: number }>(
        "INSERT INTO ab_imports (file, file_sha256, experiments) VALUES ($1, $2, $3) RETURNING id",
        [batch.file, batch.fileSha256, batch.experiments.length],
      );
      const importId = (imp as { id: number }).id;
      // An id listed twice in one file: the later one replaces the earlier, as row-by-row replacing does.
      const experiments = [...new Map(batch.experiments.map((e) => [e.id, e])).values()];
      const stored = await this.#db.run("DELETE FROM ab_experiments WHERE id = ANY($1::text[])", [
        experiments.map((e) => e.id),
      ]);
      const replaced = stored + (batch.experiments.length - experiments.length);
      for (const part of chunks(experiments)) {
        await this.#db.run(
          `INSERT INTO ab_experiments (import_id, ${Object.keys(EXPERIMENT_TYPES).join(", ")})
           SELECT $2, ${Object.keys(EXPERIMENT_TYPES).join(", ")} FROM ${recordset(EXPERIMENT_TYPES)} ORDER BY ord`,
          [
            JSON.stringify(
              part.map((e) => ({
                id: e.id,
                line: e.line ?? null,
                category: e.category,
                start_at: e.start,
                end_at: e.end,
                metric: e.metric,
                kind: e.kind,
                higher_is_better: e.higherIsBetter ? 1 : 0,
              })),
            ),
            importId,
          ],
        );
      }
      const variants = experiments.flatMap((e) =>
        e.variants.map((v, idx) => ({
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
        })),
      );
      for (const part of chunks(variants)) {
        const cols = Object.keys(VARIANT_TYPES).join(", ");
        await this.#db.run(
          `INSERT INTO ab_variants (${cols}) SELECT ${cols} FROM ${recordset(VARIANT_TYPES)} ORDER BY ord`,
          [JSON.stringify(part)],
        );
      }
      return { inserted: batch.experiments.length - replaced, replaced };
    });
  }

  async list(query: { category?: string | undefined } = {}): Promise<AbExperiment[]> {
    const rows =
      query.category === undefined
        ? await this.#db.query<ExperimentRow>(`SELECT ${EXPERIMENT_COLS} ORDER BY e.category, e.start_at, e.id`)
        : await this.#db.query<ExperimentRow>(
            `SELECT ${EXPERIMENT_COLS} WHERE e.category = $1 ORDER BY e.start_at, e.id`,
            [query.category],
          );
    return this.#withVariants(rows);
  }

  async get(id: string): Promise<AbExperiment | undefined> {
    const row = await this.#db.one<ExperimentRow>(`SELECT ${EXPERIMENT_COLS} WHERE e.id = $1`, [id]);
    return row ? (await this.#withVariants([row]))[0] : undefined;
  }

  async count(): Promise<number> {
    return (await this.#db.one<{ n: number }>("SELECT count(*) AS n FROM ab_experiments"))?.n ?? 0;
  }

  async #withVariants(rows: ExperimentRow[]): Promise<AbExperiment[]> {
    const out = new Map<string, AbExperiment>();
    for (const r of rows) out.set(r.id, toExperiment(r));
    if (out.size === 0) return [];
    const variants = await this.#db.query<VariantRow>(
      "SELECT * FROM ab_variants WHERE experiment_id = ANY($1::text[]) ORDER BY experiment_id, idx",
      [[...out.keys()]],
    );
    for (const v of variants) out.get(v.experiment_id)?.variants.push(toVariant(v));
    return [...out.values()];
  }
}

export class PgMetaRepo implements MetaRepo {
  readonly #db: PgDb;

  constructor(db: PgDb) {
    this.#db = db;
  }

  async put(reference: string, category: string, report: unknown): Promise<void> {
    // An update keeps the row and its rowid, as SQLite's upsert does.
    await this.#db.run(
      `INSERT INTO meta_reports (reference, category, report_json) VALUES ($1, $2, $3)
       ON CONFLICT (reference, category) DO UPDATE SET report_json = excluded.report_json, created_at = modelmap_now()`,
      [reference, category, JSON.stringify(report)],
    );
  }

  async latestForCategory(category: string): Promise<MetaReportRecord | undefined> {
    const r = await this.#db.one<{ reference: string; category: string; report_json: string; created_at: string }>(
      `SELECT reference, category, report_json, created_at FROM meta_reports WHERE category = $1
       ORDER BY created_at DESC, rowid DESC LIMIT 1`,
      [category],
    );
    return r
      ? { reference: r.reference, category: r.category, report: JSON.parse(r.report_json), createdAt: r.created_at }
      : undefined;
  }

  async list(): Promise<MetaReportRecord[]> {
    const rows = await this.#db.query<{ reference: string; category: string; report_json: string; created_at: string }>(
      "SELECT reference, category, report_json, created_at FROM meta_reports ORDER BY category, reference",
    );
    return rows.map((r) => ({
      reference: r.reference,
      category: r.category,
      report: JSON.parse(r.report_json),
      createdAt: r.created_at,
    }));
  }
}
