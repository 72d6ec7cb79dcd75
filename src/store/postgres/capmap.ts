import type {
  CapCell,
  CapCellWithModel,
  CapEvidence,
  CapImportRecord,
  CapModel,
  CapmapRepo,
  CellQuery,
  CellTuple,
  MetricInfo,
} from "../capmap.ts";
import { bool, type CellRow, type EvidenceRow, type ModelRow, toEvidence, toModel } from "../rows.ts";
import { chunks, Params, type PgDb, recordset } from "./db.ts";

const MODEL_COLS =
  "m.id, m.name, m.params_b, m.license, m.architecture, m.base_model, m.date, m.merged, m.flagged, m.moe, m.type, m.has_chat_template, m.url";

/** Rows per page of `iterateEvidence`. */
const PAGE = 2000;

const MODEL_TYPES: Record<string, string> = {
  id: "text",
  name: "text",
  params_b: "double precision",
  license: "text",
  architecture: "text",
  base_model: "text",
  date: "text",
  merged: "bigint",
  flagged: "bigint",
  moe: "bigint",
  type: "text",
  has_chat_template: "bigint",
  url: "text",
};
const EVIDENCE_TYPES: Record<string, string> = {
  model_id: "text",
  source: "text",
  kind: "text",
  metric: "text",
  category: "text",
  value: "double precision",
  lo: "double precision",
  hi: "double precision",
  n: "bigint",
  baseline: "double precision",
  scaled: "double precision",
  scaled_lo: "double precision",
  scaled_hi: "double precision",
};
const CELL_TYPES: Record<string, string> = {
  model_id: "text",
  category: "text",
  estimate: "double precision",
  lo: "double precision",
  hi: "double precision",
  n: "bigint",
  evidence: "bigint",
  sources: "text",
};

const names = (types: Record<string, string>) => Object.keys(types).join(", ");

/** The last row per key wins, as with one upsert per row; one statement may not update a row twice. */
function lastPerKey<T>(rows: T[], key: (r: T) => string): T[] {
  return [...new Map(rows.map((r) => [key(r), r])).values()];
}

export class PgCapmapRepo implements CapmapRepo {
  readonly #db: PgDb;
  #writes = 0;

  constructor(db: PgDb) {
    this.#db = db;
  }

  async version(): Promise<string> {
    // Every import adds a row to capmap_imports (never deleted), and replaceCells rewrites every cell in one
    // transaction, so every cell carries that transaction's id (xmin): the pair moves with any commit, from any
    // process, that changes the map.
    const r = await this.#db.one<{ imports: number; cells: string | null }>(
      `SELECT (SELECT count(*) FROM capmap_imports) AS imports,
              (SELECT xmin::text FROM capmap_cells ORDER BY category, model_id LIMIT 1) AS cells`,
    );
    return `${this.#writes}:${r?.imports ?? 0}:${r?.cells ?? ""}`;
  }

  async allCells(): Promise<CellTuple[]> {
    const rows = await this.#db.query<CellRow>(
      "SELECT model_id, category, estimate, lo, hi, n, evidence, sources FROM capmap_cells",
    );
    return rows.map((r) => [r.model_id, r.category, r.estimate, r.lo, r.hi, r.n, r.evidence, r.sources]);
  }

  async importSource(batch: Parameters<CapmapRepo["importSource"]>[0]): Promise<{ models: number; evidence: number }> {
    try {
      return await this.#db.atomic(async () => {
        // One map writer at a time (readers go on), as SQLite's write lock gives: two imports of one source
        // would otherwise interleave their delete and insert.
        await this.#db.run("LOCK TABLE capmap_evidence IN SHARE ROW EXCLUSIVE MODE");
        // A model listed twice: later non-empty fields win, as one upsert per row gives.
        const merged = new Map<string, CapModel>();
        for (const m of batch.models) {
          const prev = merged.get(m.id);
          merged.set(
            m.id,
            prev ? { ...prev, ...Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) } : m,
          );
        }
        const models = [...merged.values()].map((m) => ({
          id: m.id,
          name: m.name ?? null,
          params_b: m.paramsB ?? null,
          license: m.license ?? null,
          architecture: m.architecture ?? null,
          base_model: m.baseModel ?? null,
          date: m.date ?? null,
          merged: bool(m.merged),
          flagged: bool(m.flagged),
          moe: bool(m.moe),
          type: m.type ?? null,
          has_chat_template: bool(m.hasChatTemplate),
          url: m.url ?? null,
        }));
        const keep = (c: string) => `${c} = COALESCE(excluded.${c}, capmap_models.${c})`;
        for (const part of chunks(models)) {
          await this.#db.run(
            `INSERT INTO capmap_models (${names(MODEL_TYPES)}) SELECT ${names(MODEL_TYPES)} FROM ${recordset(MODEL_TYPES)}
             ORDER BY ord
             ON CONFLICT (id) DO UPDATE SET ${Object.keys(MODEL_TYPES)
               .filter((c) => c !== "id")
               .map(keep)
               .join(", ")}`,
            [JSON.stringify(part)],
          );
        }
        const aliases = lastPerKey(batch.aliases ?? [], (a) => a.alias).map((a) => ({
          alias: a.alias,
          model_id: a.modelId,
        }));
        for (const part of chunks(aliases)) {
          await this.#db.run(
            `INSERT INTO capmap_aliases (alias, model_id) SELECT alias, model_id
             FROM ${recordset({ alias: "text", model_id: "text" })} ORDER BY ord
             ON CONFLICT (alias) DO UPDATE SET model_id = excluded.model_id`,
            [JSON.stringify(part)],
          );
        }
        await this.#db.run("DELETE FROM capmap_evidence WHERE source = $1", [batch.source]);
        const evidence = lastPerKey(batch.evidence, (e) => JSON.stringify([e.modelId, e.source, e.metric])).map(
          (e) => ({
            model_id: e.modelId,
            source: e.source,
            kind: e.kind,
            metric: e.metric,
            category: e.category,
            value: e.value,
            lo: e.lo ?? null,
            hi: e.hi ?? null,
            n: e.n ?? null,
            baseline: e.baseline ?? null,
            scaled: e.scaled,
            scaled_lo: e.scaledLo,
            scaled_hi: e.scaledHi,
          }),
        );
        for (const part of chunks(evidence)) {
          await this.#db.run(
            `INSERT INTO capmap_evidence (${names(EVIDENCE_TYPES)}) SELECT ${names(EVIDENCE_TYPES)}
             FROM ${recordset(EVIDENCE_TYPES)} ORDER BY ord
             ON CONFLICT (model_id, source, metric) DO UPDATE SET value = excluded.value, lo = excluded.lo,
               hi = excluded.hi, n = excluded.n, baseline = excluded.baseline, scaled = excluded.scaled,
               scaled_lo = excluded.scaled_lo, scaled_hi = excluded.scaled_hi, kind = excluded.kind,
               category = excluded.category`,
            [JSON.stringify(part)],
          );
        }
        await this.#db.run(
          "INSERT INTO capmap_imports (kind, source, file, file_sha256, rows) VALUES ($1, $2, $3, $4, $5)",
          [batch.kind, batch.source, batch.file, batch.fileSha256, batch.evidence.length],
        );
        return { models: batch.models.length, evidence: batch.evidence.length };
      });
    } finally {
      this.#writes++;
    }
  }

  imports(): Promise<CapImportRecord[]> {
    return this.#db.query<CapImportRecord>(
      `SELECT id, kind, source, file, file_sha256 AS "fileSha256", rows, imported_at AS "importedAt"
       FROM capmap_imports ORDER BY id`,
    );
  }

  async resolveModel(idOrAlias: string): Promise<CapModel | undefined> {
    const exact = await this.#db.one<ModelRow>(`SELECT ${MODEL_COLS} FROM capmap_models m WHERE m.id = $1`, [
      idOrAlias,
    ]);
    if (exact) return toModel(exact);
    const viaAlias = await this.#db.one<ModelRow>(
      `SELECT ${MODEL_COLS} FROM capmap_aliases a JOIN capmap_models m ON m.id = a.model_id WHERE a.alias = $1`,
      [idOrAlias],
    );
    if (viaAlias) return toModel(viaAlias);
    // lower() under the "C" collation folds ASCII letters only, as SQLite's NOCASE does.
    const folded = await this.#db.one<ModelRow>(
      `SELECT ${MODEL_COLS} FROM capmap_models m WHERE lower(m.id) = lower($1::text COLLATE "C") ORDER BY m.id LIMIT 1`,
      [idOrAlias],
    );
    return folded ? toModel(folded) : undefined;
  }

  async getModels(ids: string[]): Promise<Map<string, CapModel>> {
    const found = new Map<string, CapModel>();
    for (const part of chunks(ids)) {
      const rows = await this.#db.query<ModelRow>(
        `SELECT ${MODEL_COLS} FROM capmap_models m WHERE m.id = ANY($1::text[])`,
        [part],
      );
      for (const r of rows) found.set(r.id, toModel(r));
    }
    return new Map(ids.filter((id) => found.has(id)).map((id) => [id, found.get(id) as CapModel]));
  }

  async modelCount(): Promise<number> {
    return (await this.#db.one<{ n: number }>("SELECT count(*) AS n FROM capmap_models"))?.n ?? 0;
  }

  async evidence(query: { modelId?: string; source?: string; metric?: string }): Promise<CapEvidence[]> {
    const p = new Params();
    const clauses: string[] = [];
    if (query.modelId !== undefined) clauses.push(`model_id = ${p.add(query.modelId)}`);
    if (query.source !== undefined) clauses.push(`source = ${p.add(query.source)}`);
    if (query.metric !== undefined) clauses.push(`metric = ${p.add(query.metric)}`);
    const where = clauses.length ? `WHERE ${clauses.join(" AND ")}` : "";
    const rows = await this.#db.query<EvidenceRow>(
      `SELECT * FROM capmap_evidence ${where} ORDER BY category, source, metric, model_id`,
      p.values,
    );
    return rows.map(toEvidence);
  }

  async *iterateEvidence(): AsyncIterableIterator<CapEvidence> {
    // Keyset pages on the sort key, never a cursor held open between two of the caller's steps.
    let page = await this.#db.query<EvidenceRow>(
      `SELECT * FROM capmap_evidence ORDER BY model_id, category, id LIMIT ${PAGE}`,
    );
    while (page.length > 0) {
      for (const r of page) yield toEvidence(r);
      const last = page[page.length - 1] as EvidenceRow;
      page = await this.#db.query<EvidenceRow>(
        `SELECT * FROM capmap_evidence WHERE (model_id, category, id) > ($1, $2, $3) ORDER BY model_id, category, id LIMIT ${PAGE}`,
        [last.model_id, last.category, last.id],
      );
    }
  }

  metrics(): Promise<MetricInfo[]> {
    return this.#db.query<MetricInfo>(
      `SELECT source, metric, kind, category, max(baseline) AS baseline, count(*) AS models
       FROM capmap_evidence GROUP BY source, metric, kind, category ORDER BY source, metric, kind, category`,
    );
  }

  async replaceCells(cells: CapCell[]): Promise<void> {
    try {
      await this.#db.atomic(async () => {
        // Two rebuilds at once would each insert every cell: the second waits for the first to commit.
        await this.#db.run("LOCK TABLE capmap_cells IN SHARE ROW EXCLUSIVE MODE");
        await this.#db.run("DELETE FROM capmap_cells");
        const rows = cells.map((c) => ({
          model_id: c.modelId,
          category: c.category,
          estimate: c.estimate,
          lo: c.lo,
          hi: c.hi,
          n: c.n,
          evidence: c.evidence,
          sources: JSON.stringify(c.sources),
        }));
        for (const part of chunks(rows)) {
          await this.#db.run(
            `INSERT INTO capmap_cells (${names(CELL_TYPES)}) SELECT ${names(CELL_TYPES)} FROM ${recordset(CELL_TYPES)}
             ORDER BY ord`,
            [JSON.stringify(part)],
          );
        }
      });
    } finally {
      this.#writes++;
    }
  }

  #where(q: CellQuery, p: Params): string {
    const clauses: string[] = [];
    if (q.category !== undefined) clauses.push(`c.category = ${p.add(q.category)}`);
    if (q.modelIds !== undefined) clauses.push(`c.model_id = ANY(${p.add(q.modelIds)}::text[])`);
    if (q.maxParams !== undefined) clauses.push(`m.params_b IS NOT NULL AND m.params_b <= ${p.add(q.maxParams)}`);
    if (q.minParams !== undefined) clauses.push(`m.params_b IS NOT NULL AND m.params_b >= ${p.add(q.minParams)}`);
    if (q.license !== undefined) clauses.push(`lower(m.license) = lower(${p.add(q.license)}::text COLLATE "C")`);
    if (q.excludeFlagged) clauses.push("COALESCE(m.flagged, 0) = 0");
    if (q.excludeMerged) clauses.push("COALESCE(m.merged, 0) = 0");
    if (q.loAbove !== undefined) clauses.push(`c.lo > ${p.add(q.loAbove)}`);
    if (q.hiAtLeast !== undefined) clauses.push(`c.hi >= ${p.add(q.hiAtLeast)}`);
    if (q.estimateBelow !== undefined) clauses.push(`c.estimate < ${p.add(q.estimateBelow)}`);
    // strpos rather than LIKE so that % and _ in the user's text are not wildcards.
    if (q.q !== undefined && q.q !== "")
      clauses.push(`strpos(lower(c.model_id), lower(${p.add(q.q)}::text COLLATE "C")) > 0`);
    return clauses.length ? `WHERE ${clauses.join(" AND ")}` : "";
  }

  async cells(q: CellQuery): Promise<CapCellWithModel[]> {
    const p = new Params();
    const where = this.#where(q, p);
    const rows = await this.#db.query<CellRow & ModelRow & { mid: string }>(
      `SELECT c.*, ${MODEL_COLS.replace("m.id,", "m.id AS mid,")} FROM capmap_cells c JOIN capmap_models m ON m.id = c.model_id
       ${where} ORDER BY c.estimate DESC, c.model_id LIMIT ${p.add(q.limit ?? null)} OFFSET ${p.add(q.offset ?? 0)}`,
      p.values,
    );
    return rows.map((r) => ({
      modelId: r.model_id,
      category: r.category,
      estimate: r.estimate,
      lo: r.lo,
      hi: r.hi,
      n: r.n,
      evidence: r.evidence,
      sources: JSON.parse(r.sources) as string[],
      model: toModel({ ...r, id: r.mid }),
    }));
  }

  async countCells(q: CellQuery): Promise<number> {
    const p = new Params();
    const where = this.#where(q, p);
    const r = await this.#db.one<{ n: number }>(
      `SELECT count(*) AS n FROM capmap_cells c JOIN capmap_models m ON m.id = c.model_id ${where}`,
      p.values,
    );
    return r?.n ?? 0;
  }

  async maxLowerBound(q: CellQuery): Promise<number | undefined> {
    const p = new Params();
    const where = this.#where(q, p);
    const r = await this.#db.one<{ lo: number | null }>(
      `SELECT max(c.lo) AS lo FROM capmap_cells c JOIN capmap_models m ON m.id = c.model_id ${where}`,
      p.values,
    );
    return r?.lo ?? undefined;
  }

  categories(): Promise<Array<{ category: string; models: number }>> {
    return this.#db.query("SELECT category, count(*) AS models FROM capmap_cells GROUP BY category ORDER BY category");
  }

  async allModels(): Promise<Map<string, CapModel>> {
    const rows = await this.#db.query<ModelRow>(`SELECT ${MODEL_COLS} FROM capmap_models m`);
    return new Map(rows.map((r) => [r.id, toModel(r)]));
  }

  async rankModels(q: CellQuery & { minCategories?: number }): Promise<{
    total: number;
    rows: Array<{ modelId: string; mean: number; categories: number }>;
  }> {
    const { category: _c, limit, offset, ...rest } = q;
    const p = new Params();
    const where = this.#where(rest, p);
    const inner = `SELECT c.model_id AS "modelId", avg(c.estimate) AS mean, count(*) AS categories
      FROM capmap_cells c JOIN capmap_models m ON m.id = c.model_id ${where}
      GROUP BY c.model_id HAVING count(*) >= ${p.add(q.minCategories ?? 1)}`;
    const total = (await this.#db.one<{ n: number }>(`SELECT count(*) AS n FROM (${inner}) t`, p.values))?.n ?? 0;
    const rows = await this.#db.query<{ modelId: string; mean: number; categories: number }>(
      `${inner} ORDER BY mean DESC, "modelId" LIMIT ${p.add(limit ?? null)} OFFSET ${p.add(offset ?? 0)}`,
      p.values,
    );
    return { total, rows };
  }
}
