import type {
  CapCell,
  CapCellWithModel,
  CapEvidence,
  CapImportRecord,
  CapModel,
  CapmapRepo,
  CellQuery,
  CellTuple,
  EvidenceKind,
} from "../capmap.ts";
import { bool, type CellRow, type EvidenceRow, type ModelRow, toEvidence, toModel } from "../rows.ts";
import type { Sync } from "./async.ts";
import type { Db } from "./db.ts";

const MODEL_COLS =
  "m.id, m.name, m.params_b, m.license, m.architecture, m.base_model, m.date, m.merged, m.flagged, m.moe, m.type, m.has_chat_template, m.url";

/** Rows per page of `iterateEvidence`. */
const PAGE = 2000;

export class SqliteCapmapRepo implements Sync<CapmapRepo> {
  readonly #db: Db;
  #writes = 0;

  version(): string {
    // data_version moves when another connection commits; #writes covers this connection's own commits.
    return `${this.#writes}:${this.#db.pragma("data_version", { simple: true }) as number}`;
  }

  allCells(): CellTuple[] {
    return this.#db
      .prepare("SELECT model_id, category, estimate, lo, hi, n, evidence, sources FROM capmap_cells")
      .raw()
      .all() as CellTuple[];
  }

  constructor(db: Db) {
    this.#db = db;
  }

  importSource(batch: Parameters<CapmapRepo["importSource"]>[0]): { models: number; evidence: number } {
    const upsert = this.#db.prepare(
      `INSERT INTO capmap_models (id, name, params_b, license, architecture, base_model, date, merged, flagged, moe, type, has_chat_template, url)
       VALUES (@id, @name, @params_b, @license, @architecture, @base_model, @date, @merged, @flagged, @moe, @type, @has_chat_template, @url)
       ON CONFLICT(id) DO UPDATE SET
         name = COALESCE(excluded.name, name), params_b = COALESCE(excluded.params_b, params_b),
         license = COALESCE(excluded.license, license), architecture = COALESCE(excluded.architecture, architecture),
         base_model = COALESCE(excluded.base_model, base_model), date = COALESCE(excluded.date, date),
         merged = COALESCE(excluded.merged, merged), flagged = COALESCE(excluded.flagged, flagged),
         moe = COALESCE(excluded.moe, moe), type = COALESCE(excluded.type, type),
         has_chat_template = COALESCE(excluded.has_chat_template, has_chat_template), url = COALESCE(excluded.url, url)`,
    );
    const alias = this.#db.prepare(
      "INSERT INTO capmap_aliases (alias, model_id) VALUES (?, ?) ON CONFLICT(alias) DO UPDATE SET model_id = excluded.model_id",
    );
    const insertEvidence = this.#db.prepare(
      `INSERT INTO capmap_evidence (model_id, source, kind, metric, category, value, lo, hi, n, baseline, scaled, scaled_lo, scaled_hi)
       VALUES (@model_id, @source, @kind, @metric, @category, @value, @lo, @hi, @n, @baseline, @scaled, @scaled_lo, @scaled_hi)
       ON CONFLICT(model_id, source, metric) DO UPDATE SET value = excluded.value, lo = excluded.lo, hi = excluded.hi,
         n = excluded.n, baseline = excluded.baseline, scaled = excluded.scaled, scaled_lo = excluded.scaled_lo,
         scaled_hi = excluded.scaled_hi, kind = excluded.kind, category = excluded.category`,
    );
    const run = this.#db.transaction(() => {
      for (const m of batch.models) {
        upsert.run({
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
        });
      }
      for (const a of batch.aliases ?? []) alias.run(a.alias, a.modelId);
      this.#db.prepare("DELETE FROM capmap_evidence WHERE source = ?").run(batch.source);
      for (const e of batch.evidence) {
        insertEvidence.run({
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
        });
      }
      this.#db
        .prepare("INSERT INTO capmap_imports (kind, source, file, file_sha256, rows) VALUES (?, ?, ?, ?, ?)")
        .run(batch.kind, batch.source, batch.file, batch.fileSha256, batch.evidence.length);
      return { models: batch.models.length, evidence: batch.evidence.length };
    });
    try {
      return run.immediate();
    } finally {
      this.#writes++;
    }
  }

  imports(): CapImportRecord[] {
    return this.#db
      .prepare(
        "SELECT id, kind, source, file, file_sha256 AS fileSha256, rows, imported_at AS importedAt FROM capmap_imports ORDER BY id",
      )
      .all() as CapImportRecord[];
  }

  resolveModel(idOrAlias: string): CapModel | undefined {
    const exact = this.#db.prepare(`SELECT ${MODEL_COLS} FROM capmap_models m WHERE m.id = ?`).get(idOrAlias) as
      | ModelRow
      | undefined;
    if (exact) return toModel(exact);
    const viaAlias = this.#db
      .prepare(`SELECT ${MODEL_COLS} FROM capmap_aliases a JOIN capmap_models m ON m.id = a.model_id WHERE a.alias = ?`)
      .get(idOrAlias) as ModelRow | undefined;
    if (viaAlias) return toModel(viaAlias);
    const folded = this.#db
      .prepare(`SELECT ${MODEL_COLS} FROM capmap_models m WHERE m.id = ? COLLATE NOCASE LIMIT 1`)
      .get(idOrAlias) as ModelRow | undefined;
    return folded ? toModel(folded) : undefined;
  }

  getModels(ids: string[]): Map<string, CapModel> {
    const out = new Map<string, CapModel>();
    const stmt = this.#db.prepare(`SELECT ${MODEL_COLS} FROM capmap_models m WHERE m.id = ?`);
    for (const id of ids) {
      const r = stmt.get(id) as ModelRow | undefined;
      if (r) out.set(id, toModel(r));
    }
    return out;
  }

  modelCount(): number {
    return (this.#db.prepare("SELECT COUNT(*) AS n FROM capmap_models").get() as { n: number }).n;
  }

  evidence(query: { modelId?: string; source?: string; metric?: string }): CapEvidence[] {
    const clauses: string[] = [];
    const params: string[] = [];
    if (query.modelId !== undefined) {
      clauses.push("model_id = ?");
      params.push(query.modelId);
    }
    if (query.source !== undefined) {
      clauses.push("source = ?");
      params.push(query.source);
    }
    if (query.metric !== undefined) {
      clauses.push("metric = ?");
      params.push(query.metric);
    }
    const where = clauses.length ? `WHERE ${clauses.join(" AND ")}` : "";
    const rows = this.#db
      .prepare(`SELECT * FROM capmap_evidence ${where} ORDER BY category, source, metric`)
      .all(...params) as EvidenceRow[];
    return rows.map(toEvidence);
  }

  *iterateEvidence(): IterableIterator<CapEvidence> {
    // Pages on the sort key, never an open cursor: other statements run on the connection between two pages.
    const first = this.#db.prepare(`SELECT * FROM capmap_evidence ORDER BY model_id, category, id LIMIT ${PAGE}`);
    const next = this.#db.prepare(
      `SELECT * FROM capmap_evidence WHERE (model_id, category, id) > (?, ?, ?) ORDER BY model_id, category, id LIMIT ${PAGE}`,
    );
    let page = first.all() as EvidenceRow[];
    while (page.length > 0) {
      for (const r of page) yield toEvidence(r);
      const last = page[page.length - 1] as EvidenceRow;
      page = next.all(last.model_id, last.category, last.id) as EvidenceRow[];
    }
  }

  metrics() {
    return this.#db
      .prepare(
        `SELECT source, metric, kind, category, MAX(baseline) AS baseline, COUNT(*) AS models
         FROM capmap_evidence GROUP BY source, metric, kind, category ORDER BY source, metric`,
      )
      .all() as Array<{
      source: string;
      metric: string;
      kind: EvidenceKind;
      category: string;
      baseline: number | null;
      models: number;
    }>;
  }

  replaceCells(cells: CapCell[]): void {
    const insert = this.#db.prepare(
      "INSERT INTO capmap_cells (model_id, category, estimate, lo, hi, n, evidence, sources) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    const run = this.#db.transaction(() => {
      this.#db.prepare("DELETE FROM capmap_cells").run();
      for (const c of cells) {
        insert.run(c.modelId, c.category, c.estimate, c.lo, c.hi, c.n, c.evidence, JSON.stringify(c.sources));
      }
    });
    try {
      run.immediate();
    } finally {
      this.#writes++;
    }
  }

  #where(q: CellQuery): { sql: string; params: Array<string | number> } {
    const clauses: string[] = [];
    const params: Array<string | number> = [];
    if (q.category !== undefined) {
      clauses.push("c.category = ?");
      params.push(q.category);
    }
    if (q.modelIds !== undefined) {
      clauses.push(`c.model_id IN (${q.modelIds.map(() => "?").join(",") || "NULL"})`);
      params.push(...q.modelIds);
    }
    if (q.maxParams !== undefined) {
      clauses.push("m.params_b IS NOT NULL AND m.params_b <= ?");
      params.push(q.maxParams);
    }
    if (q.minParams !== undefined) {
      clauses.push("m.params_b IS NOT NULL AND m.params_b >= ?");
      params.push(q.minParams);
    }
    if (q.license !== undefined) {
      clauses.push("m.license = ? COLLATE NOCASE");
      params.push(q.license);
    }
    if (q.excludeFlagged) clauses.push("COALESCE(m.flagged, 0) = 0");
    if (q.excludeMerged) clauses.push("COALESCE(m.merged, 0) = 0");
    if (q.loAbove !== undefined) {
      clauses.push("c.lo > ?");
      params.push(q.loAbove);
    }
    if (q.hiAtLeast !== undefined) {
      clauses.push("c.hi >= ?");
      params.push(q.hiAtLeast);
    }
    if (q.estimateBelow !== undefined) {
      clauses.push("c.estimate < ?");
      params.push(q.estimateBelow);
    }
    if (q.q !== undefined && q.q !== "") {
      // instr rather than LIKE so that % and _ in the user's text are not wildcards.
      clauses.push("instr(lower(c.model_id), lower(?)) > 0");
      params.push(q.q);
    }
    return { sql: clauses.length ? `WHERE ${clauses.join(" AND ")}` : "", params };
  }

  cells(q: CellQuery): CapCellWithModel[] {
    const w = this.#where(q);
    const limit = q.limit ?? -1;
    const offset = q.offset ?? 0;
    const rows = this.#db
      .prepare(
        `SELECT c.*, ${MODEL_COLS.replace("m.id,", "m.id AS mid,")} FROM capmap_cells c JOIN capmap_models m ON m.id = c.model_id
         ${w.sql} ORDER BY c.estimate DESC, c.model_id LIMIT ? OFFSET ?`,
      )
      .all(...w.params, limit, offset) as Array<CellRow & ModelRow & { mid: string }>;
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

  countCells(q: CellQuery): number {
    const w = this.#where(q);
    const r = this.#db
      .prepare(`SELECT COUNT(*) AS n FROM capmap_cells c JOIN capmap_models m ON m.id = c.model_id ${w.sql}`)
      .get(...w.params) as { n: number };
    return r.n;
  }

  maxLowerBound(q: CellQuery): number | undefined {
    const w = this.#where(q);
    const r = this.#db
      .prepare(`SELECT MAX(c.lo) AS lo FROM capmap_cells c JOIN capmap_models m ON m.id = c.model_id ${w.sql}`)
      .get(...w.params) as { lo: number | null };
    return r.lo ?? undefined;
  }

  categories(): Array<{ category: string; models: number }> {
    return this.#db
      .prepare("SELECT category, COUNT(*) AS models FROM capmap_cells GROUP BY category ORDER BY category")
      .all() as Array<{ category: string; models: number }>;
  }

  allModels(): Map<string, CapModel> {
    const rows = this.#db.prepare(`SELECT ${MODEL_COLS} FROM capmap_models m`).all() as ModelRow[];
    return new Map(rows.map((r) => [r.id, toModel(r)]));
  }

  rankModels(q: CellQuery & { minCategories?: number }) {
    const { category: _c, limit, offset, ...rest } = q;
    const w = this.#where(rest);
    const min = q.minCategories ?? 1;
    const inner = `SELECT c.model_id AS modelId, AVG(c.estimate) AS mean, COUNT(*) AS categories
      FROM capmap_cells c JOIN capmap_models m ON m.id = c.model_id ${w.sql}
      GROUP BY c.model_id HAVING COUNT(*) >= ?`;
    const total = (this.#db.prepare(`SELECT COUNT(*) AS n FROM (${inner})`).get(...w.params, min) as { n: number }).n;
    const rows = this.#db
      .prepare(`${inner} ORDER BY mean DESC, modelId LIMIT ? OFFSET ?`)
      .all(...w.params, min, limit ?? -1, offset ?? 0) as Array<{ modelId: string; mean: number; categories: number }>;
    return { total, rows };
  }
}
