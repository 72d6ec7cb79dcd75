/**
 * Storage contract of the capability map: models with Hugging Face metadata, the evidence imported or
 * computed for them, and the materialized model x category cells that search and the web pages read.
 */

/** A model, identified by its Hugging Face id where it has one (`org/name`), else by its public name. */
export interface CapModel {
  id: string;
  name?: string | undefined;
  paramsB?: number | undefined;
  license?: string | undefined;
  architecture?: string | undefined;
  baseModel?: string | undefined;
  /** ISO date (upload or submission) as the source gives it. */
  date?: string | undefined;
  merged?: boolean | undefined;
  flagged?: boolean | undefined;
  moe?: boolean | undefined;
  /** Model type as the source labels it: pretrained, fine-tuned, chat, merge... */
  type?: string | undefined;
  hasChatTemplate?: boolean | undefined;
  url?: string | undefined;
}

export type EvidenceKind = "benchmark" | "rating" | "judge";

/** One measurement of one model on one metric, with its value on the common 0-100 scale. */
export interface CapEvidence {
  modelId: string;
  /** Where it came from: an import (`open-llm-leaderboard-v1`) or a modelmap run / vote source. */
  source: string;
  kind: EvidenceKind;
  /** Benchmark or rating name, e.g. `arc`, `gsm8k`, `arena-elo`, `mt-bench`. */
  metric: string;
  category: string;
  /** The value in the source's own unit (accuracy %, Elo, judge 1-10). */
  value: number;
  lo?: number | undefined;
  hi?: number | undefined;
  /** Items (questions, votes, turns) behind the value, where known. */
  n?: number | undefined;
  /** Random-guess baseline in the source's unit, for benchmarks. */
  baseline?: number | undefined;
  /** Value on the common 0-100 scale, with its 95% interval. */
  scaled: number;
  scaledLo: number;
  scaledHi: number;
}

/** One cell of the map. */
export interface CapCell {
  modelId: string;
  category: string;
  estimate: number;
  lo: number;
  hi: number;
  /** Items behind the cell (sum over its evidence). */
  n: number;
  /** Pieces of evidence combined. */
  evidence: number;
  sources: string[];
}

export interface CapCellWithModel extends CapCell {
  model: CapModel;
}

export interface CellQuery {
  category?: string;
  modelIds?: string[];
  maxParams?: number;
  minParams?: number;
  license?: string;
  /** Exclude models flagged on their leaderboard, or merges. */
  excludeFlagged?: boolean;
  excludeMerged?: boolean;
  /** Only cells whose lower bound is strictly above this (for ranks: who beats me for sure). */
  loAbove?: number;
  /** Only cells whose upper bound reaches this (for the set tied for first). */
  hiAtLeast?: number;
  /** Only cells whose estimate is strictly below this (for percentiles). */
  estimateBelow?: number;
  /** Case-insensitive substring of the model id. */
  q?: string;
  limit?: number;
  offset?: number;
}

export interface CapImportRecord {
  id: number;
  kind: string;
  source: string;
  file: string;
  fileSha256: string;
  rows: number;
  importedAt: string;
}

export interface MetricInfo {
  source: string;
  metric: string;
  kind: EvidenceKind;
  category: string;
  baseline: number | null;
  models: number;
}

/** A cell as one compact row: [modelId, category, estimate, lo, hi, n, evidence, sources as JSON]. */
export type CellTuple = [string, string, number, number, number, number, number, string];

export interface CapmapRepo {
  /**
   * Changes whenever the map's data may have changed: after this connection's writes and after commits by
   * other connections (another process importing). Services key their in-memory caches on it.
   */
  version(): Promise<string>;
  /** Every cell, compactly, for building in-memory indexes. */
  allCells(): Promise<CellTuple[]>;
  /**
   * Replaces everything one source said (its evidence) with `evidence`, upserts `models` (new non-empty
   * metadata wins) and records the import, in one transaction. Re-importing a file is therefore idempotent.
   */
  importSource(batch: {
    kind: string;
    source: string;
    file: string;
    fileSha256: string;
    models: CapModel[];
    aliases?: Array<{ alias: string; modelId: string }>;
    evidence: CapEvidence[];
  }): Promise<{ models: number; evidence: number }>;
  imports(): Promise<CapImportRecord[]>;
  /** Looks a model up by id, alias, or case-insensitive id. */
  resolveModel(idOrAlias: string): Promise<CapModel | undefined>;
  getModels(ids: string[]): Promise<Map<string, CapModel>>;
  modelCount(): Promise<number>;
  evidence(query: { modelId?: string; source?: string; metric?: string }): Promise<CapEvidence[]>;
  /** Every piece of evidence, for rebuilding the map. */
  iterateEvidence(): AsyncIterableIterator<CapEvidence>;
  /** Distinct (source, metric, kind, category, baseline) with row counts, for leaderboard columns. */
  metrics(): Promise<MetricInfo[]>;
  replaceCells(cells: CapCell[]): Promise<void>;
  cells(query: CellQuery): Promise<CapCellWithModel[]>;
  countCells(query: CellQuery): Promise<number>;
  /** Highest lower bound among the cells matching the query (the bar for being tied for first). */
  maxLowerBound(query: CellQuery): Promise<number | undefined>;
  categories(): Promise<Array<{ category: string; models: number }>>;
  /** Every model, keyed by id (for joining metadata onto a whole leaderboard in one query). */
  allModels(): Promise<Map<string, CapModel>>;
  /**
   * Models ranked by their mean cell estimate, among those with at least `minCategories` cells; the filters
   * of `q` (except category) apply.
   */
  rankModels(q: CellQuery & { minCategories?: number }): Promise<{
    total: number;
    rows: Array<{ modelId: string; mean: number; categories: number }>;
  }>;
}
