/**
 * The data behind the leaderboard, arena and map pages (and their JSON API). The web pages only render
 * what these return, so the JSON API shows exactly what the pages show.
 */
import { ranksFromIntervals, tiersFromIntervals } from "../stats/intervals.ts";
import type { CapModel } from "../store/capmap.ts";
import type { Store } from "../store/store.ts";
import { BENCHMARKS } from "./scale.ts";
import { modelFilter, type Snapshot, snapshot } from "./snapshot.ts";
import { type CellChecks, checksByCategory, type Demotions, demotedReasons, demotions, taskFlags } from "./trust.ts";

export type { CellChecks } from "./trust.ts";

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
  /** Standard errors by metric, in the same unit, where the source gives an interval (its 95% half-width / 1.96). */
  stderr: Record<string, number>;
  /** Mean over the row's metrics on the normalized (above-random) 0-100 scale. */
  average: number;
  /** Metrics (tasks) whose score a stored check puts in doubt, with the reasons (capmap/trust.ts). */
  inDoubt?: Record<string, string[]>;
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
  /** Metric columns to show (keys or labels); default: all of the source's. */
  columns?: string[] | undefined;
}

export interface Leaderboard {
  sources: Array<{ source: string; models: number }>;
  source: string | undefined;
  columns: LeaderboardColumn[];
  /** Every metric column of the source (`columns` is the chosen subset). */
  allColumns: LeaderboardColumn[];
  sort: string;
  /** Why the requested sort was not applied (an unknown column), naming the columns that sort. */
  sortNote?: string;
  dir: "asc" | "desc";
  total: number;
  page: number;
  pageSize: number;
  rows: LeaderboardRow[];
}

export async function benchmarkLeaderboard(store: Store, opts: LeaderboardOptions = {}): Promise<Leaderboard> {
  const snap = await snapshot(store);
  const metrics = snap.metrics.filter((m) => m.kind === "benchmark");
  const sourceCounts = new Map<string, number>();
  for (const m of metrics) sourceCounts.set(m.source, Math.max(sourceCounts.get(m.source) ?? 0, m.models));
  const sources = [...sourceCounts].map(([source, models]) => ({ source, models }));
  // Default: modelmap's own runs when there are any, else the largest imported table.
  const largest = [...sources].sort((a, b) => b.models - a.models)[0]?.source;
  const fallback = sourceCounts.has("modelmap-runs") ? "modelmap-runs" : largest;
  const source = opts.source && sourceCounts.has(opts.source) ? opts.source : fallback;
  const allColumns: LeaderboardColumn[] = metrics
    .filter((m) => m.source === source)
    .map((m) => ({
      metric: m.metric,
      label: BENCHMARKS[m.metric]?.label ?? m.metric,
      category: m.category,
      baseline: m.baseline,
    }));
  const wanted = (opts.columns ?? []).map((c) => columnKey(allColumns, c)).filter((c) => c !== undefined);
  const columns = wanted.length ? allColumns.filter((c) => wanted.includes(c.metric)) : allColumns;
  const pageSize = Math.min(500, Math.max(1, opts.pageSize ?? 50));
  const fixed = ["average", "params", "model"];
  const asked = opts.sort?.trim();
  const sort = !asked
    ? "average"
    : fixed.includes(asked.toLowerCase())
      ? asked.toLowerCase()
      : (columnKey(allColumns, asked) ?? "average");
  const sortNote =
    asked && sort === "average" && asked.toLowerCase() !== "average"
      ? `cannot sort by '${asked}': no such column in ${source ?? "this table"}; sortable: model, params, average, ${allColumns.map((c) => c.label).join(", ")}`
      : undefined;
  const dir = opts.dir ?? (sort === "model" ? "asc" : "desc");
  const base = { sources, source, columns, allColumns, sort, ...(sortNote ? { sortNote } : {}), dir };
  if (!source) return { ...base, total: 0, page: 1, pageSize, rows: [] };
  const pivot = await leaderboardPivot(store, snap, source);
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
  // Checks are keyed by task, which is the metric of modelmap's own runs: mark those scores in doubt.
  const flags = await taskFlags(store);
  if (flags.size > 0)
    rows = rows.map((r) => {
      const f = flags.get(r.modelId);
      if (!f) return r;
      const inDoubt: Record<string, string[]> = {};
      for (const c of columns) {
        const why = f.get(c.metric);
        if (why) inDoubt[c.metric] = why;
      }
      return Object.keys(inDoubt).length ? { ...r, inDoubt } : r;
    });
  return { ...base, total, page, pageSize, rows };
}

/** A column by its metric key or its label, ignoring case and spacing (`MATH Lvl 5` or `leaderboard_math_hard`). */
function columnKey(columns: LeaderboardColumn[], name: string): string | undefined {
  const norm = (x: string) =>
    x
      .toLowerCase()
      .replace(/[\s_-]+/g, " ")
      .trim();
  const n = norm(name);
  return columns.find((c) => c.metric === name || norm(c.metric) === n || norm(c.label) === n)?.metric;
}

/** One row per model of a source with its raw values and normalized mean; cached with the snapshot. */
async function leaderboardPivot(store: Store, snap: Snapshot, source: string): Promise<LeaderboardRow[]> {
  const key = `leaderboard:${source}`;
  const hit = snap.memo.get(key) as LeaderboardRow[] | undefined;
  if (hit) return hit;
  const byModel = new Map<
    string,
    { values: Record<string, number>; stderr: Record<string, number>; sum: number; k: number }
  >();
  for (const e of await store.capmap.evidence({ source })) {
    let r = byModel.get(e.modelId);
    if (!r) {
      r = { values: {}, stderr: {}, sum: 0, k: 0 };
      byModel.set(e.modelId, r);
    }
    r.values[e.metric] = e.value;
    if (e.lo !== undefined && e.hi !== undefined) r.stderr[e.metric] = (e.hi - e.lo) / (2 * 1.96);
    r.sum += e.scaled;
    r.k++;
  }
  const rows = [...byModel].map(([modelId, r]) => ({
    modelId,
    model: snap.models.get(modelId) ?? { id: modelId },
    values: r.values,
    stderr: r.stderr,
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
export async function arenaBoards(store: Store): Promise<ArenaBoard[]> {
  const snap = await snapshot(store);
  const hit = snap.memo.get("arena") as ArenaBoard[] | undefined;
  if (hit) return hit;
  const groups = snap.metrics.filter((m) => m.kind === "rating");
  const models = snap.models;
  const boards: ArenaBoard[] = [];
  for (const g of groups) {
    const ev = (await store.capmap.evidence({ source: g.source, metric: g.metric }))
      .filter((e) => e.category === g.category && e.lo !== undefined && e.hi !== undefined)
      .sort((a, b) => b.value - a.value);
    const intervals = ev.map((e) => ({ estimate: e.value, lower: e.lo as number, upper: e.hi as number }));
    const ranks = ranksFromIntervals(intervals);
    const tiers = tiersFromIntervals(intervals);
    boards.push({
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
    });
  }
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
    /** Mean over the model's trusted cells (demoted ones left out; -Infinity when every cell is demoted). */
    mean: number;
    cells: Record<string, MapCell>;
  }>;
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
  /** Why the cell is demoted (capmap/trust.ts): it ranks after the trusted cells and is never recommended. */
  demoted?: string[];
}

/** Models ranked by their mean over categories, with all their cells, for the heatmap. */
export async function mapOverview(
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
): Promise<MapOverview> {
  const snap = await snapshot(store);
  const categories = [...snap.byCategory.keys()].sort();

  const keep = modelFilter({ q: opts.q, maxParams: opts.maxParams, license: opts.license });
  const demoted = await demotions(store);
  const ranking = demoted.size === 0 ? snap.ranking : trustedRanking(snap, demoted);
  const counts = new Map(ranking.map((r) => [r.modelId, r]));
  const byCategory = opts.sort ? snap.byCategory.get(opts.sort) : undefined;
  // Ranked by one category, every model measured there counts; ranked by the mean, only well-covered ones.
  const min = opts.minCategories ?? (byCategory ? 1 : Math.min(3, Math.max(1, categories.length)));
  let order = ranking;
  if (byCategory) {
    // A demoted cell ranks after every trusted one of its category, whatever its estimate.
    const trusted: RankedModel[] = [];
    const after: RankedModel[] = [];
    for (const c of byCategory) {
      const r = counts.get(c.modelId) ?? { modelId: c.modelId, mean: c.estimate, categories: 1 };
      (demotedReasons(demoted, c.modelId, opts.sort as string) ? after : trusted).push(r);
    }
    order = [...trusted, ...after];
  }
  const matched = order.filter((r) => r.categories >= min && keep(snap.models.get(r.modelId) ?? { id: r.modelId }));
  const offset = opts.offset ?? 0;
  const rows: MapOverview["rows"] = [];
  for (const r of matched.slice(offset, offset + (opts.limit ?? 40))) {
    const cells: MapOverview["rows"][number]["cells"] = {};
    const checks = await checksByCategory(store, r.modelId);
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
      const why = demotedReasons(demoted, r.modelId, c.category);
      if (why) cell.demoted = why;
      cells[c.category] = cell;
    }
    rows.push({ modelId: r.modelId, model: snap.models.get(r.modelId) ?? { id: r.modelId }, mean: r.mean, cells });
  }
  return { categories, sort: byCategory ? (opts.sort as string) : "mean", total: matched.length, offset, rows };
}

type RankedModel = Snapshot["ranking"][number];

/**
 * The map's ranking by mean with demoted cells left out of their model's mean (a model whose every cell is
 * demoted goes last): a contaminated math score must not lift a model up the overall ranking either.
 */
function trustedRanking(snap: Snapshot, demoted: Demotions): RankedModel[] {
  const out = snap.ranking.map((r) => {
    const bad = demoted.get(r.modelId);
    if (!bad) return r;
    const kept = (snap.byModel.get(r.modelId) ?? []).filter((c) => !bad.has(c.category));
    const mean = kept.length ? kept.reduce((s, c) => s + c.estimate, 0) / kept.length : Number.NEGATIVE_INFINITY;
    return { ...r, mean };
  });
  return out.sort((a, b) => b.mean - a.mean || (a.modelId < b.modelId ? -1 : 1));
}

/** Builds the snapshot and every leaderboard's pivot so that the first page view is as fast as the rest. */
export async function warmViews(store: Store): Promise<void> {
  const snap = await snapshot(store);
  for (const m of snap.metrics) if (m.kind === "benchmark") await leaderboardPivot(store, snap, m.source);
  await arenaBoards(store);
}
