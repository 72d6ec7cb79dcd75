import { ModelmapError } from "../core/errors.ts";
import { createRng, shuffleInPlace } from "../core/rng.ts";
import type { Vote } from "../core/votes.ts";
import {
  type PairwiseBinary,
  predictionPoweredWinRates,
  type RankSet,
  rankSets,
  simultaneousIntervals,
  winRateMeans,
} from "../stats/ppr.ts";

/**
 * `rank --human H --judge J`: prediction-powered ranking. Judge votes that have a human vote on the same
 * item (prompt id, model_a, model_b, in that order, paired in file order) can form the small labelled set;
 * `humanN` of them are drawn at random (seeded) and the other judge votes form the large set. The same n
 * human votes alone give the human-only baseline, so the interval widths compare like with like.
 */
export interface PprOptions {
  /** Size of the labelled set; default: all matched human votes, at most 1000. */
  humanN?: number;
  seed?: number;
  /** Coverage of the simultaneous intervals and rank-sets, default 0.95 (alpha = 0.05). */
  ci?: number;
  lambda?: number | "auto";
}

export interface PprModelRow {
  model: string;
  win_rate: number;
  ci_lower: number;
  ci_upper: number;
  rank_lower: number;
  rank_upper: number;
  human_win_rate: number;
  human_ci_lower: number;
  human_ci_upper: number;
  human_rank_lower: number;
  human_rank_upper: number;
}

export interface PprReport {
  method: "ppr";
  n_human: number;
  n_judge_only: number;
  matched: number;
  lambda: number;
  ci: number;
  seed: number;
  models: PprModelRow[];
  summary: {
    mean_width_ppr: number;
    mean_width_human: number;
    mean_width_judge_only: number;
    width_ratio: number;
    mean_rankset_size_ppr: number;
    mean_rankset_size_human: number;
    mean_rankset_size_judge_only: number;
    /** Share of judge verdicts equal to the human's on the labelled set. */
    judge_human_agreement: number;
  };
  warnings: string[];
}

export function predictionPoweredRanking(human: Vote[], judge: Vote[], opts: PprOptions = {}): PprReport {
  const seed = opts.seed ?? 42;
  const ci = opts.ci ?? 0.95;
  const alpha = 1 - ci;
  const humanByKey = new Map<string, Vote[]>();
  for (const v of human) {
    if (v.promptId === undefined) continue;
    const key = `${v.promptId}\u0000${v.modelA}\u0000${v.modelB}`;
    const list = humanByKey.get(key);
    if (list) list.push(v);
    else humanByKey.set(key, [v]);
  }
  const pairs: Array<{ j: Vote; h: Vote }> = [];
  const judgeOnly: Vote[] = [];
  for (const v of judge) {
    const list =
      v.promptId === undefined ? undefined : humanByKey.get(`${v.promptId}\u0000${v.modelA}\u0000${v.modelB}`);
    const h = list?.shift();
    if (h) pairs.push({ j: v, h });
    else judgeOnly.push(v);
  }
  if (pairs.length === 0) {
    throw new ModelmapError("input", "no judge vote has a human vote on the same item (prompt id and model pair)", {
      hint: "both files need question_id/prompt_id with the same model_a/model_b",
    });
  }
  const n = Math.min(opts.humanN ?? Math.min(1000, pairs.length), pairs.length);
  if (opts.humanN !== undefined && opts.humanN > pairs.length) {
    throw new ModelmapError("usage", `--human-n ${opts.humanN} is more than the ${pairs.length} matched human votes`);
  }
  shuffleInPlace(pairs, createRng(seed));
  const small = pairs.slice(0, n);
  const big = [...judgeOnly, ...pairs.slice(n).map((p) => p.j)];
  if (big.length === 0) {
    throw new ModelmapError(
      "input",
      "every judge vote is in the labelled set; nothing is left for the judge-only set",
      {
        hint: "use --human-n smaller than the number of matched votes",
      },
    );
  }
  const models = [
    ...new Set([...small.flatMap((p) => [p.j.modelA, p.j.modelB]), ...big.flatMap((v) => [v.modelA, v.modelB])]),
  ].sort();
  const idx = new Map(models.map((m, i) => [m, i]));
  const k = models.length;
  const enc = (vs: Vote[]): PairwiseBinary => ({
    a: Int32Array.from(vs, (v) => idx.get(v.modelA)!),
    b: Int32Array.from(vs, (v) => idx.get(v.modelB)!),
    winA: Float64Array.from(vs, (v) => (v.winner === "model_a" ? 1 : 0)),
    winB: Float64Array.from(vs, (v) => (v.winner === "model_b" ? 1 : 0)),
  });
  const smallJudge = enc(small.map((p) => p.j));
  const smallHuman = enc(small.map((p) => p.h));
  const bigJudge = enc(big);
  const ppr = predictionPoweredWinRates({ k, big: bigJudge, smallJudge, smallHuman, lambda: opts.lambda ?? "auto" });
  const hum = winRateMeans(k, smallHuman);
  const judgeAll = winRateMeans(k, enc([...big, ...small.map((p) => p.j)]));
  const warnings: string[] = [];
  const missing = models.filter((_, m) => Number.isNaN(hum.theta[m] as number));
  if (missing.length)
    warnings.push(`no human votes in the labelled set for ${missing.join(", ")}: their judge estimate is uncorrected.`);
  const iv = simultaneousIntervals(ppr, k, alpha);
  const ivH = simultaneousIntervals(hum, k, alpha);
  const ivJ = simultaneousIntervals(judgeAll, k, alpha);
  const rs = rankSets(ppr, k, alpha);
  const rsH = rankSets(hum, k, alpha);
  const rsJ = rankSets(judgeAll, k, alpha);
  // A win rate lies in [0, 1]: the normal-approximation intervals are clipped to it (the clipped interval covers
  // the true value whenever the unclipped one does). The summary's widths compare the methods before clipping.
  const clip = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : x);
  const rows: PprModelRow[] = models.map((model, m) => ({
    model,
    win_rate: ppr.theta[m] as number,
    ci_lower: clip(iv[m]!.lower),
    ci_upper: clip(iv[m]!.upper),
    rank_lower: rs[m]!.lower,
    rank_upper: rs[m]!.upper,
    human_win_rate: hum.theta[m] as number,
    human_ci_lower: clip(ivH[m]!.lower),
    human_ci_upper: clip(ivH[m]!.upper),
    human_rank_lower: rsH[m]!.lower,
    human_rank_upper: rsH[m]!.upper,
  }));
  rows.sort((x, y) => y.win_rate - x.win_rate);
  const meanWidth = (v: Array<{ lower: number; upper: number }>) =>
    mean(v.map((x) => x.upper - x.lower).filter((w) => Number.isFinite(w)));
  const meanSize = (v: RankSet[]) => mean(v.map((x) => x.upper - x.lower + 1));
  let agree = 0;
  for (const p of small) if (sameVerdict(p.j, p.h)) agree++;
  return {
    method: "ppr",
    n_human: n,
    n_judge_only: big.length,
    matched: pairs.length,
    lambda: ppr.lambda,
    ci,
    seed,
    models: rows,
    summary: {
      mean_width_ppr: meanWidth(iv),
      mean_width_human: meanWidth(ivH),
      mean_width_judge_only: meanWidth(ivJ),
      width_ratio: meanWidth(iv) / meanWidth(ivH),
      mean_rankset_size_ppr: meanSize(rs),
      mean_rankset_size_human: meanSize(rsH),
      mean_rankset_size_judge_only: meanSize(rsJ),
      judge_human_agreement: agree / n,
    },
    warnings,
  };
}

function sameVerdict(a: Vote, b: Vote): boolean {
  const t = (v: Vote) => (v.winner === "tie_bothbad" ? "tie" : v.winner);
  return t(a) === t(b);
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : Number.NaN;
}

export function renderPpr(r: PprReport, format: "table" | "json" | "csv" | "md"): string {
  if (format === "json") return `${JSON.stringify(r, null, 2)}\n`;
  const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : "-");
  const cols = ["model", "ppr win%", `${r.ci * 100}% CI`, "ranks", "human-only win%", "CI", "ranks"];
  const rows = r.models.map((m) => [
    m.model,
    pct(m.win_rate),
    `${pct(m.ci_lower)}..${pct(m.ci_upper)}`,
    `${m.rank_lower}-${m.rank_upper}`,
    pct(m.human_win_rate),
    `${pct(m.human_ci_lower)}..${pct(m.human_ci_upper)}`,
    `${m.human_rank_lower}-${m.human_rank_upper}`,
  ]);
  if (format === "csv") {
    const head =
      "model,win_rate,ci_lower,ci_upper,rank_lower,rank_upper,human_win_rate,human_ci_lower,human_ci_upper,human_rank_lower,human_rank_upper";
    return `${[head, ...r.models.map((m) => Object.values(m).join(","))].join("\n")}\n`;
  }
  const s = r.summary;
  const intro = [
    `prediction-powered ranking (Chatzi et al. 2024): ${r.n_human} human + judge votes, ${r.n_judge_only} judge-only votes, lambda ${r.lambda.toFixed(3)}, seed ${r.seed}`,
    `mean simultaneous ${r.ci * 100}% interval width: PPR ${pct(s.mean_width_ppr)} pts vs human-only ${pct(s.mean_width_human)} pts (ratio ${s.width_ratio.toFixed(2)}); judge-only ${pct(s.mean_width_judge_only)} pts (not valid: judge bias uncorrected)`,
    `mean rank-set size: PPR ${s.mean_rankset_size_ppr.toFixed(2)}, human-only ${s.mean_rankset_size_human.toFixed(2)}, judge-only ${s.mean_rankset_size_judge_only.toFixed(2)}; judge = human on ${pct(s.judge_human_agreement)}% of labelled items`,
  ];
  if (format === "md") {
    return `${[...intro.map((l) => `_${l}_`), "", `| ${cols.join(" | ")} |`, `|${cols.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.join(" | ")} |`)].join("\n")}\n`;
  }
  const widths = cols.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join("  ");
  return `${[...intro, "", line(cols), ...rows.map(line)].join("\n")}\n`;
}
