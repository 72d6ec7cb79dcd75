import { basename } from "node:path";
import type { CategoryRatings } from "../arena/ratings.ts";
import { ModelmapError } from "../core/errors.ts";
import type { CapEvidence, CapModel } from "../store/capmap.ts";
import { boolCell, type CsvRecord, CsvTable, numberCell } from "./csv.ts";
import { BENCHMARKS, type BenchmarkInfo, scaleBenchmark, scaleJudgeScore, scaleRating } from "./scale.ts";

/** What an importer produces; the service stores it in one transaction and rebuilds the map. */
export interface ParsedImport {
  kind: string;
  source: string;
  models: CapModel[];
  aliases: Array<{ alias: string; modelId: string }>;
  evidence: CapEvidence[];
  /** Rows that could not be used, with the reason: per-row failures are data, not a failed import. */
  skipped: Array<{ line: number; reason: string }>;
}

function blankToUndef(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}

function benchmarkEvidence(
  modelId: string,
  source: string,
  b: BenchmarkInfo,
  percent: number,
  normalized?: number,
): CapEvidence {
  const s = scaleBenchmark(percent, b.baseline, b.items, normalized);
  return {
    modelId,
    source,
    kind: "benchmark",
    metric: b.metric,
    category: b.category,
    value: percent,
    lo: s.lo,
    hi: s.hi,
    n: b.items,
    baseline: b.baseline,
    scaled: s.scaled,
    scaledLo: s.scaledLo,
    scaledHi: s.scaledHi,
  };
}

/** Reads numbers of one row; a bad cell skips the row with a reason naming the column. */
function readNumbers(
  t: CsvTable,
  row: CsvRecord,
  cols: Record<string, string>,
): { values: Record<string, number | undefined> } | { error: string } {
  const values: Record<string, number | undefined> = {};
  for (const [key, col] of Object.entries(cols)) {
    const v = numberCell(t.get(row, col));
    if (typeof v === "string") return { error: `field '${col}': ${v}` };
    values[key] = v;
  }
  return { values };
}

const V1_SCORES: Record<string, string> = {
  arc: "arc",
  hellaswag: "hellaswag",
  mmlu: "mmlu",
  truthfulqa: "truthfulqa",
  winogrande: "winogrande",
  gsm8k: "gsm8k",
};
const V2_SCORES: Record<string, string> = {
  ifeval: "ifeval",
  bbh: "bbh",
  "math-lvl5": "math",
  gpqa: "gpqa",
  musr: "musr",
  "mmlu-pro": "mmlu_pro",
};

/** Open LLM Leaderboard final tables: v1 (ARC, HellaSwag, MMLU, TruthfulQA, Winogrande, GSM8K) and v2. */
export function parseOpenLlmLeaderboard(text: string, file: string): ParsedImport {
  const t = new CsvTable(text, file);
  if (t.has("evaluations_ifeval_value")) return parseV2(t);
  if (t.has("hellaswag") && t.has("arc")) return parseV1(t);
  throw new ModelmapError("input", "not an Open LLM Leaderboard table", {
    location: { file, line: 1 },
    hint: "expected the v1 columns (model/fullname, arc, hellaswag, mmlu, truthfulqa, winogrande, gsm8k) or the v2 columns (model_name, evaluations_ifeval_value, ...)",
  });
}

function parseV1(t: CsvTable): ParsedImport {
  const idCol = t.pick("fullname", "model");
  t.requireColumns([idCol ?? "fullname", ...Object.values(V1_SCORES)], "an Open LLM Leaderboard v1 table");
  const source = "open-llm-leaderboard-v1";
  const out: ParsedImport = {
    kind: "open-llm-leaderboard",
    source,
    models: [],
    aliases: [],
    evidence: [],
    skipped: [],
  };
  // A model appears once per precision; keep the row with the best average, as the leaderboard's own view does.
  const best = new Map<string, { avg: number; row: CsvRecord; values: Record<string, number | undefined> }>();
  for (const row of t.rows) {
    const id = t.get(row, idCol as string);
    if (!id) {
      out.skipped.push({ line: row.line, reason: `field '${idCol}': empty model id` });
      continue;
    }
    const r = readNumbers(t, row, { ...V1_SCORES, params: "params_b" });
    if ("error" in r) {
      out.skipped.push({ line: row.line, reason: r.error });
      continue;
    }
    const scores = Object.keys(V1_SCORES)
      .map((k) => r.values[k])
      .filter((v): v is number => v !== undefined);
    const avg = scores.reduce((a, b) => a + b, 0) / Math.max(1, scores.length);
    const prev = best.get(id);
    if (!prev || avg > prev.avg) best.set(id, { avg, row, values: r.values });
  }
  for (const [id, { row, values }] of best) {
    out.models.push({
      id,
      paramsB: values.params !== undefined && values.params > 0 ? values.params : undefined,
      license: blankToUndef(t.get(row, "hub_license")),
      architecture: blankToUndef(t.get(row, "architecture")),
      date: blankToUndef(t.get(row, "date")),
      merged: boolCell(t.get(row, "merged")),
      flagged: boolCell(t.get(row, "flagged")),
      moe: boolCell(t.get(row, "moe")),
      type: blankToUndef(t.get(row, "type"))?.replace(/^\W+\s*/u, ""),
      url: blankToUndef(t.get(row, "url")),
    });
    for (const metric of Object.keys(V1_SCORES)) {
      const v = values[metric];
      const b = BENCHMARKS[metric];
      if (v !== undefined && b) out.evidence.push(benchmarkEvidence(id, source, b, v));
    }
  }
  return out;
}

function parseV2(t: CsvTable): ParsedImport {
  const cols = Object.values(V2_SCORES).flatMap((c) => [`evaluations_${c}_value`, `evaluations_${c}_normalized_score`]);
  t.requireColumns(["model_name", ...cols], "an Open LLM Leaderboard v2 table");
  const source = "open-llm-leaderboard-v2";
  const out: ParsedImport = {
    kind: "open-llm-leaderboard",
    source,
    models: [],
    aliases: [],
    evidence: [],
    skipped: [],
  };
  const best = new Map<string, { avg: number; row: CsvRecord; values: Record<string, number | undefined> }>();
  for (const row of t.rows) {
    const id = t.get(row, "model_name");
    if (!id) {
      out.skipped.push({ line: row.line, reason: "field 'model_name': empty model id" });
      continue;
    }
    const numCols: Record<string, string> = { params: "metadata_params_billions" };
    for (const [metric, c] of Object.entries(V2_SCORES)) {
      numCols[metric] = `evaluations_${c}_value`;
      numCols[`${metric}:norm`] = `evaluations_${c}_normalized_score`;
    }
    const r = readNumbers(t, row, numCols);
    if ("error" in r) {
      out.skipped.push({ line: row.line, reason: r.error });
      continue;
    }
    const norms = Object.keys(V2_SCORES).map((k) => r.values[`${k}:norm`] ?? 0);
    const avg = norms.reduce((a, b) => a + b, 0) / norms.length;
    const prev = best.get(id);
    if (!prev || avg > prev.avg) best.set(id, { avg, row, values: r.values });
  }
  for (const [id, { row, values }] of best) {
    const base = blankToUndef(t.get(row, "metadata_base_model"));
    out.models.push({
      id,
      paramsB: values.params !== undefined && values.params > 0 ? values.params : undefined,
      license: blankToUndef(t.get(row, "metadata_hub_license")),
      architecture: blankToUndef(t.get(row, "model_architecture")),
      baseModel: base === id ? undefined : base,
      date: blankToUndef(t.get(row, "metadata_upload_date")),
      merged: boolCell(t.get(row, "features_is_merged")),
      flagged: boolCell(t.get(row, "features_is_flagged")),
      moe: boolCell(t.get(row, "features_is_moe")),
      type: blankToUndef(t.get(row, "model_type")),
      hasChatTemplate: boolCell(t.get(row, "model_has_chat_template")),
      url: `https://huggingface.co/${id}`,
    });
    for (const metric of Object.keys(V2_SCORES)) {
      const v = values[metric];
      const b = BENCHMARKS[metric];
      if (v !== undefined && b) out.evidence.push(benchmarkEvidence(id, source, b, v * 100, values[`${metric}:norm`]));
    }
  }
  return out;
}

const OBS_COLUMNS: Record<string, string> = {
  MMLU: "mmlu",
  "ARC-C": "arc",
  HellaSwag: "hellaswag",
  Winograd: "winogrande",
  Winogrande: "winogrande",
  TruthfulQA: "truthfulqa",
  GSM8K: "gsm8k",
  XWinograd: "xwinograd",
  HumanEval: "humaneval",
  leaderboard_bbh: "bbh",
  leaderboard_gpqa: "gpqa",
  leaderboard_ifeval: "ifeval",
  leaderboard_math_hard: "math-lvl5",
  leaderboard_mmlu_pro: "mmlu-pro",
  leaderboard_musr: "musr",
};

/** MT-bench has 80 questions of two turns, each graded once. */
const MT_BENCH_TURNS = 160;

/**
 * Observational-scaling tables (Ruan et al.): base and instruct model scores as fractions in [0, 1].
 * MTBench is the GPT-4 single-answer grade divided by 10. Their "Arena-Elo" column is rescaled to [0, 1] by
 * the authors with an unpublished transform, so it is not imported as a rating.
 */
export function parseObsScaling(text: string, file: string): ParsedImport {
  const t = new CsvTable(text, file);
  t.requireColumns(["Model"], "an observational-scaling table");
  const benchCols = t.header.filter((h) => OBS_COLUMNS[h] !== undefined);
  if (benchCols.length === 0 && !t.has("MTBench")) {
    throw new ModelmapError("input", "not an observational-scaling table: no benchmark columns", {
      location: { file: t.file, line: 1 },
      hint: `expected some of: ${Object.keys(OBS_COLUMNS).join(", ")}, MTBench`,
    });
  }
  const source = `obs-scaling:${basename(file).replace(/\.csv$/i, "")}`;
  const out: ParsedImport = { kind: "obs-scaling", source, models: [], aliases: [], evidence: [], skipped: [] };
  const seen = new Set<string>();
  for (const row of t.rows) {
    const id = t.get(row, "Model");
    if (!id) {
      out.skipped.push({ line: row.line, reason: "field 'Model': empty model id" });
      continue;
    }
    if (seen.has(id)) {
      out.skipped.push({ line: row.line, reason: `duplicate model '${id}'` });
      continue;
    }
    const numCols: Record<string, string> = {};
    for (const c of benchCols) numCols[c] = c;
    if (t.has("MTBench")) numCols.MTBench = "MTBench";
    if (t.has("Model Size (B)")) numCols.params = "Model Size (B)";
    const r = readNumbers(t, row, numCols);
    if ("error" in r) {
      out.skipped.push({ line: row.line, reason: r.error });
      continue;
    }
    seen.add(id);
    out.models.push({ id, paramsB: r.values.params, name: blankToUndef(t.get(row, "Model Family")) });
    for (const c of benchCols) {
      const v = r.values[c];
      const b = BENCHMARKS[OBS_COLUMNS[c] as string];
      if (v !== undefined && b) out.evidence.push(benchmarkEvidence(id, source, b, v * 100));
    }
    const mt = r.values.MTBench;
    if (mt !== undefined) {
      const score = mt * 10;
      const s = scaleJudgeScore(score, MT_BENCH_TURNS);
      out.evidence.push({
        modelId: id,
        source,
        kind: "judge",
        metric: "mt-bench",
        category: "chat",
        value: score,
        lo: s.lo,
        hi: s.hi,
        n: MT_BENCH_TURNS,
        scaled: s.scaled,
        scaledLo: s.scaledLo,
        scaledHi: s.scaledHi,
      });
    }
  }
  return out;
}

/** Parses LMSYS-style "+3/-3" intervals. */
function parsePlusMinus(s: string | undefined): { plus: number; minus: number } | undefined {
  const m = s?.match(/^\s*\+\s*([\d.]+)\s*\/\s*-\s*([\d.]+)\s*$/);
  if (!m) return undefined;
  return { plus: Number(m[1]), minus: Number(m[2]) };
}

/**
 * Chatbot Arena leaderboard tables (CSV): one row per model with its rating and 95% interval, either as
 * `95_pct_ci` ("+3/-3") or as `rating_q025`/`rating_q975`. Where the table links a Hugging Face id
 * (`model_name`), the model is stored under it and the arena name becomes an alias.
 */
export function parseArenaTable(text: string, file: string, category = "chat"): ParsedImport {
  const t = new CsvTable(text, file);
  const ratingCol = t.pick("arena_score", "rating", "Arena Elo rating", "Arena Score", "elo");
  const nameCol = t.pick("key", "model", "Model");
  // LMSYS's published leaderboard tables also carry MT-bench (GPT-4 single-answer grades) and MMLU.
  const mtCol = t.pick("MT-bench (score)", "mt_bench", "MT-bench");
  const mmluCol = t.pick("MMLU", "mmlu");
  if (!nameCol || (!ratingCol && !mtCol)) {
    throw new ModelmapError(
      "input",
      "not an arena leaderboard table: no model column, or neither ratings nor MT-bench",
      {
        location: { file, line: 1 },
        hint: "expected a model column (key, model or Model) and a rating column (arena_score, rating, 'Arena Elo rating' or elo, with 95_pct_ci or rating_q025/rating_q975) or 'MT-bench (score)'",
      },
    );
  }
  const source = "arena-leaderboard";
  const out: ParsedImport = { kind: "arena", source, models: [], aliases: [], evidence: [], skipped: [] };
  const rows: Array<{ id: string; rating: number; lo: number; hi: number; votes?: number | undefined }> = [];
  const seen = new Set<string>();
  const mmlu = BENCHMARKS.mmlu as BenchmarkInfo;
  const arenaNames = new Map<string, string>();
  for (const row of t.rows) {
    const name = t.get(row, nameCol);
    const hf = t.has("model_name") ? blankToUndef(t.get(row, "model_name")) : undefined;
    const id = hf ?? name;
    if (!id) {
      out.skipped.push({ line: row.line, reason: `field '${nameCol}': empty model name` });
      continue;
    }
    const r = readNumbers(t, row, {
      ...(ratingCol ? { rating: ratingCol } : {}),
      ...(mtCol ? { mt: mtCol } : {}),
      ...(mmluCol ? { mmlu: mmluCol } : {}),
      ...(t.has("votes") ? { votes: "votes" } : t.has("num_battles") ? { votes: "num_battles" } : {}),
      ...(t.has("rating_q025") ? { q025: "rating_q025", q975: "rating_q975" } : {}),
    });
    if ("error" in r) {
      out.skipped.push({ line: row.line, reason: r.error });
      continue;
    }
    if (seen.has(id)) {
      out.skipped.push({ line: row.line, reason: `duplicate model '${id}'` });
      continue;
    }
    // One arena entry is one model: a later row linking the same arena name to another repository (a re-upload)
    // would give that copy the original's rating.
    const linked = name ? arenaNames.get(name) : undefined;
    if (name && linked !== undefined && linked !== id) {
      out.skipped.push({ line: row.line, reason: `arena name '${name}' is already linked to '${linked}'` });
      continue;
    }
    const rating = r.values.rating;
    const pm = parsePlusMinus(t.get(row, "95_pct_ci"));
    const lo = r.values.q025 ?? (pm && rating !== undefined ? rating - pm.minus : undefined);
    const hi = r.values.q975 ?? (pm && rating !== undefined ? rating + pm.plus : undefined);
    const used: string[] = [];
    if (rating !== undefined && lo !== undefined && hi !== undefined) {
      rows.push({ id, rating, lo, hi, votes: r.values.votes });
      used.push("rating");
    } else if (rating !== undefined) {
      out.skipped.push({
        line: row.line,
        reason: "rating without a 95% interval (95_pct_ci or rating_q025/rating_q975): not used",
      });
    }
    const mt = r.values.mt;
    if (mt !== undefined) {
      const sj = scaleJudgeScore(mt, MT_BENCH_TURNS);
      out.evidence.push({
        modelId: id,
        source,
        kind: "judge",
        metric: "mt-bench",
        category,
        value: mt,
        lo: sj.lo,
        hi: sj.hi,
        n: MT_BENCH_TURNS,
        scaled: sj.scaled,
        scaledLo: sj.scaledLo,
        scaledHi: sj.scaledHi,
      });
      used.push("mt-bench");
    }
    const mm = r.values.mmlu;
    if (mm !== undefined) {
      out.evidence.push(benchmarkEvidence(id, source, mmlu, mm <= 1 ? mm * 100 : mm));
      used.push("mmlu");
    }
    if (used.length === 0) {
      if (rating === undefined) out.skipped.push({ line: row.line, reason: "no rating, MT-bench or MMLU value" });
      continue;
    }
    seen.add(id);
    if (name) arenaNames.set(name, id);
    const lic = t.pick("metadata_hub_license", "license", "License");
    out.models.push({
      id,
      name: t.has("model") ? blankToUndef(t.get(row, "model")) : name,
      license: lic ? blankToUndef(t.get(row, lic))?.toLowerCase() : undefined,
      url: t.pick("url", "Link") ? blankToUndef(t.get(row, t.pick("url", "Link") as string)) : undefined,
    });
    if (name && name !== id) out.aliases.push({ alias: name, modelId: id });
  }
  out.evidence.push(...ratingEvidence(rows, source, category, "arena-elo"));
  return out;
}

/** Ratings of one source and category mapped to expected win rate against the category's mean model. */
export function ratingEvidence(
  rows: Array<{ id: string; rating: number; lo: number; hi: number; votes?: number | undefined }>,
  source: string,
  category: string,
  metric: string,
): CapEvidence[] {
  if (rows.length === 0) return [];
  const mean = rows.reduce((a, r) => a + r.rating, 0) / rows.length;
  return rows.map((r) => {
    const s = scaleRating(r.rating, r.lo, r.hi, mean);
    return {
      modelId: r.id,
      source,
      kind: "rating" as const,
      metric,
      category,
      value: r.rating,
      lo: r.lo,
      hi: r.hi,
      n: r.votes,
      scaled: s.scaled,
      scaledLo: s.scaledLo,
      scaledHi: s.scaledHi,
    };
  });
}

/**
 * One category's ratings from the arena's engine as map evidence. One metric per category: (model, source,
 * metric) is unique, and a model is rated in several categories.
 */
export function categoryRatingEvidence(
  r: CategoryRatings,
  source: string,
  resolve?: (name: string) => string,
): CapEvidence[] {
  const rows = r.models.map((m) => ({
    id: resolve ? resolve(m.model) : m.model,
    rating: m.rating,
    lo: m.lo,
    hi: m.hi,
    votes: m.votes,
  }));
  return ratingEvidence(rows, source, r.category, `bt-rating:${r.category}`);
}
