import { basename, resolve } from "node:path";
import { ratingsByCategory, ratingsOfCounts } from "../arena/ratings.ts";
import { parseVoteText } from "../arena/read-votes.ts";
import { ModelmapError } from "../core/errors.ts";
import { readUserText } from "../core/files.ts";
import { sha256 } from "../core/hash.ts";
import type { ProgressSink } from "../core/progress.ts";
import type { CapCellWithModel, CapModel } from "../store/capmap.ts";
import type { Store } from "../store/store.ts";
import { agreementWeighting, type CategoryAgreement } from "./agreement-weights.ts";
import { rebuildMap } from "./build.ts";
import {
  categoryRatingEvidence,
  type ParsedImport,
  parseArenaTable,
  parseObsScaling,
  parseOpenLlmLeaderboard,
} from "./importers.ts";
import { type LiteCell, modelFilter, snapshot } from "./snapshot.ts";
import { demotedReasons, demotions } from "./trust.ts";

export const IMPORT_KINDS = ["open-llm-leaderboard", "arena", "obs-scaling"] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export interface ImportSummary {
  kind: string;
  source: string;
  file: string;
  models: number;
  evidence: number;
  skipped: Array<{ line: number; reason: string }>;
  cells: number;
}

function readText(file: string): string {
  return readUserText(file, "results table");
}

/** True for the battle and pairwise-count files that need a rating fit before they can enter the map. */
function looksLikeBattles(text: string): boolean {
  const head = text.trimStart().slice(0, 2000);
  return head.startsWith("{") || head.startsWith("[");
}

export function parseImport(kind: ImportKind, file: string, text: string): ParsedImport {
  switch (kind) {
    case "open-llm-leaderboard":
      return parseOpenLlmLeaderboard(text, file);
    case "obs-scaling":
      return parseObsScaling(text, file);
    case "arena":
      return looksLikeBattles(text) ? parseArenaBattles(text, file) : parseArenaTable(text, file);
  }
}

/**
 * Battle files (LMSYS JSON/JSONL rows) and pairwise-count files are fitted by the ratings engine
 * (Bradley-Terry with a seeded bootstrap, 200 rounds) per category; rows without a category are "chat".
 */
function parseArenaBattles(text: string, file: string): ParsedImport {
  const vf = parseVoteText(text, file);
  const source = `arena-battles:${basename(file).replace(/\.(jsonl?|json)$/i, "")}`;
  const skipped = vf.bad.map((b) => ({ line: b.line, reason: b.field ? `field '${b.field}': ${b.reason}` : b.reason }));
  const fits = vf.counts ? [ratingsOfCounts(vf.counts, "chat")] : ratingsByCategory(vf.votes);
  const evidence = fits.flatMap((r) => categoryRatingEvidence(r, source));
  for (const r of fits) for (const w of r.warnings) skipped.push({ line: 0, reason: `warning: ${w}` });
  const models = [...new Set(evidence.map((e) => e.modelId))].map((id) => ({ id }));
  return { kind: "arena", source, models, aliases: [], evidence, skipped };
}

/**
 * Imports one public results file into the map and rebuilds the map's cells. `progress` sees three steps:
 * read and parse (fitting ratings for battle files), store, rebuild the map.
 */
export async function importFile(
  store: Store,
  kind: ImportKind,
  path: string,
  progress?: ProgressSink,
): Promise<ImportSummary> {
  const file = resolve(path);
  progress?.start(3, `import ${basename(file)}`);
  const text = readText(file);
  const parsed = parseImport(kind, file, text);
  progress?.update(1, parsed.skipped.length);
  if (parsed.source.startsWith("arena-battles:")) {
    // Battle files name models by their arena names; where an earlier table linked a name to a Hugging Face
    // id (an alias), the ratings attach to that id.
    const ids = new Map<string, string>();
    for (const e of parsed.evidence) {
      let id = ids.get(e.modelId);
      if (id === undefined) {
        id = (await store.capmap.resolveModel(e.modelId))?.id ?? e.modelId;
        ids.set(e.modelId, id);
      }
      e.modelId = id;
    }
    parsed.models = [...new Set(parsed.evidence.map((e) => e.modelId))].map((m) => ({ id: m }));
  }
  const stored = await store.capmap.importSource({
    kind: parsed.kind,
    source: parsed.source,
    file,
    fileSha256: sha256(text),
    models: parsed.models,
    aliases: parsed.aliases,
    evidence: parsed.evidence,
  });
  progress?.update(2, parsed.skipped.length);
  const cells = await rebuildMap(store);
  progress?.finish(3, parsed.skipped.length);
  return { kind, source: parsed.source, file, ...stored, skipped: parsed.skipped, cells };
}

export async function requireModel(store: Store, idOrAlias: string): Promise<CapModel> {
  const m = await store.capmap.resolveModel(idOrAlias);
  if (!m) {
    throw new ModelmapError("not_found", `no model '${idOrAlias}' in the map`, {
      hint: "use a Hugging Face id (org/name) as imported; 'modelmap search CATEGORY' lists models",
    });
  }
  return m;
}

export async function requireCategory(store: Store, category: string): Promise<LiteCell[]> {
  const snap = await snapshot(store);
  const cells = snap.byCategory.get(category);
  if (!cells) {
    const cats = [...snap.byCategory.keys()].sort();
    throw new ModelmapError("not_found", `no category '${category}' in the map`, {
      hint: cats.length
        ? `categories: ${cats.join(", ")}`
        : "the map is empty: import results first ('modelmap map import open-llm-leaderboard FILE')",
    });
  }
  return cells;
}

/** Categories in the map with their model counts. */
export async function mapCategories(store: Store): Promise<Array<{ category: string; models: number }>> {
  return [...(await snapshot(store)).byCategory]
    .map(([category, cells]) => ({ category, models: cells.length }))
    .sort((a, b) => (a.category < b.category ? -1 : 1));
}

export function toCell(c: LiteCell): CapCellWithModel {
  return {
    modelId: c.modelId,
    category: c.category,
    estimate: c.estimate,
    lo: c.lo,
    hi: c.hi,
    n: c.n,
    evidence: c.evidence,
    sources: JSON.parse(c.sourcesJson) as string[],
    model: c.model,
  };
}

export interface SearchFilters {
  maxParams?: number | undefined;
  minParams?: number | undefined;
  license?: string | undefined;
  excludeFlagged?: boolean | undefined;
  excludeMerged?: boolean | undefined;
  q?: string | undefined;
}

export interface SearchHit extends CapCellWithModel {
  /**
   * 1 + number of trusted models whose lower bound is strictly above this model's upper bound; a demoted cell
   * ranks after every trusted one (1 + the number of trusted models).
   */
  rank: number;
  tiedForFirst: boolean;
  /** Why this cell is demoted (a flagged contamination check, a high prompt spread): it is never recommended. */
  demoted?: string[];
}

export interface SearchResult {
  category: string;
  filters: SearchFilters;
  /** Models matching the filters. */
  total: number;
  results: SearchHit[];
  /** Models that cannot be told apart from the best trusted one (rank 1), best first; capped at `tiedLimit`. */
  tiedForFirst: Array<{ modelId: string; estimate: number; lo: number; hi: number }>;
  tiedForFirstCount: number;
  /** Models whose cell here is demoted: listed after the trusted ones, or left out (counted) with excludeFlagged. */
  demoted: number;
  /**
   * Set where a meta-evaluation (`modelmap meta`) has its reference in this category: which signals agree with
   * the reference, and the weights the ranking above gave each signal's evidence.
   */
  agreement?: CategoryAgreement | undefined;
}

/**
 * The best models for a category under the filters, with intervals, ranks, and the set statistically tied
 * for first: every trusted model whose upper bound reaches the highest trusted lower bound (nobody is surely
 * better). Demoted cells (capmap/trust.ts) come after the trusted ones, are never tied for first, and are left
 * out with `excludeFlagged`. Runs over the in-memory snapshot: one pass over the category's cells plus a
 * binary search per result.
 */
export async function search(
  store: Store,
  category: string,
  filters: SearchFilters = {},
  opts: { top?: number; offset?: number; tiedLimit?: number } = {},
): Promise<SearchResult> {
  const weighted = await agreementWeighting(store, category);
  const cells = weighted?.cells ?? (await requireCategory(store, category));
  const keep = modelFilter(filters);
  const demoted = await demotions(store);
  const why = (c: LiteCell) => demotedReasons(demoted, c.modelId, category);
  const trusted: LiteCell[] = [];
  const flagged: LiteCell[] = [];
  for (const c of cells) {
    if (!keep(c.model)) continue;
    if (why(c) === undefined) trusted.push(c);
    else flagged.push(c);
  }
  const matched = filters.excludeFlagged ? trusted : [...trusted, ...flagged];
  let bar: number | undefined;
  for (const c of trusted) if (bar === undefined || c.lo > bar) bar = c.lo;
  const offset = opts.offset ?? 0;
  const results: SearchHit[] = matched.slice(offset, offset + (opts.top ?? 10)).map((c, k) => {
    // A model surely better than c has lo > c.hi >= c.estimate, so its estimate is higher and it comes earlier
    // in the estimate order: for a trusted cell counting over the prefix is enough; a demoted one counts over
    // every trusted cell.
    const i = offset + k;
    const upto = Math.min(i, trusted.length);
    let above = 0;
    for (let j = 0; j < upto; j++) if ((trusted[j] as LiteCell).lo > c.hi) above++;
    const reasons = why(c);
    const hit: SearchHit = {
      ...toCell(c),
      // A demoted cell ranks after every trusted one, whatever its interval says.
      rank: reasons ? 1 + trusted.length : 1 + above,
      tiedForFirst: reasons === undefined && bar !== undefined && c.hi >= bar,
    };
    if (reasons) hit.demoted = reasons;
    return hit;
  });
  const tied = bar === undefined ? [] : trusted.filter((c) => c.hi >= bar);
  return {
    category,
    filters,
    total: matched.length,
    results,
    tiedForFirst: tied
      .slice(0, opts.tiedLimit ?? 50)
      .map((c) => ({ modelId: c.modelId, estimate: c.estimate, lo: c.lo, hi: c.hi })),
    tiedForFirstCount: tied.length,
    demoted: flagged.length,
    ...(weighted ? { agreement: weighted.summary } : {}),
  };
}
