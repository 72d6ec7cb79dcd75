/**
 * The data behind the leaderboard, arena and map pages (and their JSON API). The web pages only render
 * what these return, so the JSON API shows exactly what the pages show.
 */
import { contaminationSummary } from "../contamination/summary.ts";
import { promptSpread } from "../sensitivity/service.ts";
import { ranksFromIntervals, tiersFromIntervals } from "../stats/intervals.ts";
import type { CapModel } from "../store/capmap.ts";
import type { Store } from "../store/store.ts";
import { BENCHMARKS } from "./scale.ts";
import { modelFilter, type Snapshot, snapshot } from "./snapshot.ts";

export interface LeaderboardColumn {
  metric: string;
  label: string;
  category: string;
  baseline: number | null;
}

export interface LeaderboardRow {
  modelId: string;
  model: CapModel;
  /** Raw values by metric (the source's unit). */
  values: Record<string, number>;
  /** Mean over the row's metrics on the normalized (above-random) 0-100 scale. */
  average: number;
}

export interface LeaderboardOptions {
  source?: string | undefined;
  sort?: string | undefined;
  dir?: "asc" | "desc" | undefined;
  q?: string | undefined;
  maxParams?: number | undefined;
  license?: string | undefined;
  excludeFlagged?: boolean | undefined;
  excludeMerged?: boolean | undefined;
  page?: number | undefined;
  pageSize?: number | undefined;
}

export interface Leaderboard {
  sources: Array<{ source: string; models: number }>;
  source: string | undefined;
  columns: LeaderboardColumn[];
  sort: string;
  dir: "asc" | "desc";
  total: number;
  page: number;
  pageSize: number;
  rows: LeaderboardRow[];
}

export function benchmarkLeaderboard(store: Store, opts: LeaderboardOptions = {}): Leaderboard {
  const snap = snapshot(store);
  const metrics = snap.metrics.filter((m) => m.kind === "benchmark");
  const sourceCounts = new Map<string, number>();
  for (const m of metrics) sourceCounts.set(m.source, Math.max(sourceCounts.get(m.source) ?? 0, m.models));
  const sources = [...sourceCounts].map(([source, models]) => ({ source, models }));
  // Default: modelmap's own runs when there are any, else the largest imported table.
  const largest = [...sources].sort((a, b) => b.models - a.models)[0]?.source;
  const fallback = sourceCounts.has("modelmap-runs") ? "modelmap-runs" : largest;
  const source = opts.source && sourceCounts.has(opts.source) ? opts.source : fallback;
  const columns: LeaderboardColumn[] = metrics
    .filter((m) => m.source === source)
    .map((m) => ({
      metric: m.metric,
      label: BENCHMARKS[m.metric]?.label ?? m.metric,
      category: m.category,
      baseline: m.baseline,
    }));
  const pageSize = Math.min(500, Math.max(1, opts.pageSize ?? 50));
  const sort =
    opts.sort &&
    (opts.sort === "average" ||
      opts.sort === "params" ||
      opts.sort === "model" ||
      columns.some((c) => c.metric === opts.sort))
      ? opts.sort
      : "average";
  const dir = opts.dir ?? (sort === "model" ? "asc" : "desc");
  if (!source) return { sources, source, columns, sort, dir, total: 0, page: 1, pageSize, rows: [] };
  const pivot = leaderboardPivot(store, snap, source);
  const keep = modelFilter({
    q: opts.q,
    maxParams: opts.maxParams,
    license: opts.license,
    excludeFlagged: opts.excludeFlagged,
    excludeMerged: opts.excludeMerged,
  });
  let rows = pivot.filter((r) => keep(r.model));
  const key = (r: LeaderboardRow): number | string =>
    sort === "average"
      ? r.average
      : sort === "params"
        ? (r.model.paramsB ?? -1)
        : sort === "model"
          ? r.modelId.toLowerCase()
          : (r.values[sort] ?? -1);
  const sign = dir === "asc" ? 1 : -1;
  rows.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka < kb) return -sign;
    if (ka > kb) return sign;
    return a.modelId < b.modelId ? -1 : 1;
  });
  const total = rows.length;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const page = Math.min(pages, Math.max(1, opts.page ?? 1));
  rows = rows.slice((page - 1) * pageSize, page * pageSize);
  return { sources, source, columns, sort, dir, total, page, pageSize, rows };
}

/** One row per model of a source with its raw values and normalized mean; cached with the snapshot. */
function leaderboardPivot(store: Store, snap: Snapshot, source: string): LeaderboardRow[] {
  const key = `leaderboard:${source}`;
  const hit = snap.memo.get(key) as LeaderboardRow[] | undefined;
  if (hit) return hit;
  const byModel = new Map<string, { values: Record<string, number>; sum: number; k: number }>();
  for (const e of store.capmap.evidence({ source })) {
    let r = byModel.get(e.modelId);
    if (!r) {
      r = { values: {}, sum: 0, k: 0 };
      byModel.set(e.modelId, r);
    }
    r.values[e.metric] = e.value;
    r.sum += e.scaled;
    r.k++;
  }
  const rows = [...byModel].map(([modelId, r]) => ({
    modelId,
    model: snap.models.get(modelId) ?? { id: modelId },
    values: r.values,
    average: r.sum / Math.max(1, r.k),
  }));
  snap.memo.set(key, rows);
  return rows;
}

export interface ArenaRow {
  modelId: string;
  model: CapModel;
  rating: number;
  lo: number;
  hi: number;
  votes: number | undefined;
  winRate: number;
  rank: number;
  tier: number;
}

export interface ArenaBoard {
  source: string;
  category: string;
  metric: string;
  rows: ArenaRow[];
}

/** Every rating source and category in the map as a leaderboard with ranks and tiers. */
export function arenaBoards(store: Store): ArenaBoard[] {
  const snap = snapshot(store);
  const hit = snap.memo.get("arena") as ArenaBoard[] | undefined;
  if (hit) return hit;
  const groups = snap.metrics.filter((m) => m.kind === "rating");
  const models = snap.models;
  const boards = groups.map((g) => {
    const ev = store.capmap
      .evidence({ source: g.source, metric: g.metric })
      .filter((e) => e.category === g.category && e.lo !== undefined && e.hi !== undefined)
      .sort((a, b) => b.value - a.value);
    const intervals = ev.map((e) => ({ estimate: e.value, lower: e.lo as number, upper: e.hi as number }));
    const ranks = ranksFromIntervals(intervals);
    const tiers = tiersFromIntervals(intervals);
    return {
      source: g.source,
      category: g.category,
      metric: g.metric,
      rows: ev.map((e, i) => ({
        modelId: e.modelId,
        model: models.get(e.modelId) ?? { id: e.modelId },
        rating: e.value,
        lo: e.lo as number,
        hi: e.hi as number,
        votes: e.n,
        winRate: e.scaled,
        rank: ranks[i] as number,
        tier: tiers[i] as number,
      })),
    };
  });
  snap.memo.set("arena", boards);
  return boards;
}

export interface MapOverview {
  categories: string[];
  /** What rows are ranked by: "mean" over categories, or one category. */
  sort: string;
  total: number;
  offset: number;
  rows: Array<{
    modelId: string;
    model: CapModel;
    mean: number;
    cells: Record<string, MapCell>;
  }>;
}

/** Stored checks of a model's task that feeds a cell: contamination verdicts and prompt spread. */
export interface CellChecks {
  contamination: Array<{ task: string; flagged: boolean; pValue: number | null; text: string }>;
  /** Prompt-sensitivity spread of the task's score (max - min over variants, the task's own unit). */
  spread: Array<{ task: string; score: number; spread: number; variants: number; text: string }>;
}

export interface MapCell {
  estimate: number;
  lo: number;
  hi: number;
  n: number;
  evidence: number;
  sources: string[];
  /** Present where a contamination or sensitivity check is stored for a task behind this cell. */
  checks?: CellChecks;
}

/**
 * The checks of one model, per category: a stored check of task T lands in the category that the model's
 * own run of T was mapped to (checks of tasks without a run in the map stay on the model page only).
 */
export function checksByCategory(store: Store, modelId: string): Map<string, CellChecks> {
  const out = new Map<string, CellChecks>();
  const contamination = contaminationSummary(store, modelId).filter((c) => !c.task.startsWith("canary:"));
  const spread = promptSpread(store, modelId);
  if (contamination.length === 0 && spread.length === 0) return out;
  const categoryOf = new Map(store.capmap.evidence({ modelId }).map((e) => [e.metric, e.category]));
  const slot = (task: string): CellChecks | undefined => {
    const cat = categoryOf.get(task);
    if (cat === undefined) return undefined;
    let c = out.get(cat);
    if (!c) {
      c = { contamination: [], spread: [] };
      out.set(cat, c);
    }
    return c;
  };
  for (const c of contamination)
    slot(c.task)?.contamination.push({ task: c.task, flagged: c.flagged, pValue: c.pValue, text: c.text });
  for (const s of spread)
    slot(s.task)?.spread.push({ task: s.task, score: s.score, spread: s.spread, variants: s.variants, text: s.text });
  return out;
}

/** Models ranked by their mean over categories, with all their cells, for the heatmap. */
export function mapOverview(
  store: Store,
  opts: {
    q?: string;
    maxParams?: number;
    license?: string;
    minCategories?: number;
    /** A category to rank by (its estimate); default: the mean over categories. */
    sort?: string;
    limit?: number;
    offset?: number;
  } = {},
): MapOverview {
  const snap = snapshot(store);
  const categories = [...snap.byCategory.keys()].sort();

  const keep = modelFilter({ q: opts.q, maxParams: opts.maxParams, license: opts.license });
  const counts = new Map(snap.ranking.map((r) => [r.modelId, r]));
  const byCategory = opts.sort ? snap.byCategory.get(opts.sort) : undefined;
  // Ranked by one category, every model measured there counts; ranked by the mean, only well-covered ones.
  const min = opts.minCategories ?? (byCategory ? 1 : Math.min(3, Math.max(1, categories.length)));
  const order = byCategory
    ? byCategory.map((c) => counts.get(c.modelId) ?? { modelId: c.modelId, mean: c.estimate, categories: 1 })
    : snap.ranking;
  const matched = order.filter((r) => r.categories >= min && keep(snap.models.get(r.modelId) ?? { id: r.modelId }));
  const offset = opts.offset ?? 0;
  const rows = matched.slice(offset, offset + (opts.limit ?? 40)).map((r) => {
    const cells: MapOverview["rows"][number]["cells"] = {};
    const checks = checksByCategory(store, r.modelId);
    for (const c of snap.byModel.get(r.modelId) ?? []) {
      const cell: MapCell = {
        estimate: c.estimate,
        lo: c.lo,
        hi: c.hi,
        n: c.n,
        evidence: c.evidence,
        sources: JSON.parse(c.sourcesJson) as string[],
      };
      const ch = checks.get(c.category);
      if (ch) cell.checks = ch;
      cells[c.category] = cell;
    }
    return { modelId: r.modelId, model: snap.models.get(r.modelId) ?? { id: r.modelId }, mean: r.mean, cells };
  });
  return { categories, sort: byCategory ? (opts.sort as string) : "mean", total: matched.length, offset, rows };
}

/** Builds the snapshot and every leaderboard's pivot so that the first page view is as fast as the rest. */
export function warmViews(store: Store): void {
  const snap = snapshot(store);
  for (const m of snap.metrics) if (m.kind === "benchmark") leaderboardPivot(store, snap, m.source);
  arenaBoards(store);
}
