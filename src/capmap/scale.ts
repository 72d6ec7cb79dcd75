/**
 * How evidence of different kinds is put on one 0-100 scale (documented in docs/capability-map.md and on the
 * /map page). Pure functions: the importers and the map builder call them; nothing here does I/O.
 */

const Z95 = 1.959964;

export interface BenchmarkInfo {
  /** Canonical metric name used in the store. */
  metric: string;
  label: string;
  category: string;
  /** Random-guess accuracy in percent. */
  baseline: number;
  /** Items in the test set (for the binomial interval). */
  items: number;
  /** Why the baseline is what it is. */
  baselineNote: string;
}

/**
 * Public benchmarks the importers know. Baselines are the accuracy of uniform random guessing; item counts are
 * the test-set sizes the leaderboards used.
 */
export const BENCHMARKS: Record<string, BenchmarkInfo> = {
  arc: {
    metric: "arc",
    label: "ARC-Challenge",
    category: "reasoning",
    baseline: 25,
    items: 1172,
    baselineNote: "4 options",
  },
  hellaswag: {
    metric: "hellaswag",
    label: "HellaSwag",
    category: "reasoning",
    baseline: 25,
    items: 10042,
    baselineNote: "4 endings",
  },
  mmlu: { metric: "mmlu", label: "MMLU", category: "knowledge", baseline: 25, items: 14042, baselineNote: "4 options" },
  truthfulqa: {
    metric: "truthfulqa",
    label: "TruthfulQA MC2",
    category: "knowledge",
    baseline: 46.4,
    items: 817,
    baselineNote: "MC2 under uniform probabilities: mean share of true answers per question (817 questions)",
  },
  winogrande: {
    metric: "winogrande",
    label: "Winogrande",
    category: "reasoning",
    baseline: 50,
    items: 1267,
    baselineNote: "2 options",
  },
  gsm8k: {
    metric: "gsm8k",
    label: "GSM8K",
    category: "math",
    baseline: 0,
    items: 1319,
    baselineNote: "free-form answer",
  },
  humaneval: {
    metric: "humaneval",
    label: "HumanEval",
    category: "coding",
    baseline: 0,
    items: 164,
    baselineNote: "program synthesis",
  },
  xwinograd: {
    metric: "xwinograd",
    label: "XWinograd",
    category: "reasoning",
    baseline: 50,
    items: 2325,
    baselineNote: "2 options",
  },
  ifeval: {
    metric: "ifeval",
    label: "IFEval",
    category: "instruction-following",
    baseline: 0,
    items: 541,
    baselineNote: "free-form",
  },
  bbh: {
    metric: "bbh",
    label: "BBH",
    category: "reasoning",
    baseline: 25,
    items: 6511,
    baselineNote: "per-subtask baselines (leaderboard normalization); 25 approximates them for intervals",
  },
  "math-lvl5": {
    metric: "math-lvl5",
    label: "MATH Lvl 5",
    category: "math",
    baseline: 0,
    items: 1324,
    baselineNote: "free-form answer",
  },
  gpqa: { metric: "gpqa", label: "GPQA", category: "knowledge", baseline: 25, items: 1192, baselineNote: "4 options" },
  musr: {
    metric: "musr",
    label: "MuSR",
    category: "reasoning",
    baseline: 33,
    items: 756,
    baselineNote: "per-subtask baselines (2-5 options); 33 approximates them for intervals",
  },
  "mmlu-pro": {
    metric: "mmlu-pro",
    label: "MMLU-PRO",
    category: "knowledge",
    baseline: 10,
    items: 12032,
    baselineNote: "10 options",
  },
};

export function clamp100(x: number): number {
  return Math.min(100, Math.max(0, x));
}

/** Accuracy above the random baseline, as a share of the headroom: 0 = chance, 100 = perfect. */
export function normalizeAccuracy(percent: number, baseline: number): number {
  if (baseline >= 100) return 0;
  return clamp100((100 * (percent - baseline)) / (100 - baseline));
}

/** Binomial standard error of an accuracy in percent over n items. */
export function binomialSe(percent: number, n: number): number {
  const p = Math.min(1, Math.max(0, percent / 100));
  // A floor of half an item keeps 0% and 100% from claiming zero uncertainty.
  const v = Math.max(p * (1 - p), 0.5 / n);
  return 100 * Math.sqrt(v / n);
}

export interface Scaled {
  scaled: number;
  scaledLo: number;
  scaledHi: number;
  lo: number;
  hi: number;
}

/** A benchmark accuracy (percent) with its 95% binomial interval, raw and normalized. */
export function scaleBenchmark(percent: number, baseline: number, items: number, normalized?: number): Scaled {
  const se = binomialSe(percent, items);
  const lo = Math.max(0, percent - Z95 * se);
  const hi = Math.min(100, percent + Z95 * se);
  const scaled = normalized === undefined ? normalizeAccuracy(percent, baseline) : clamp100(normalized);
  const halfWidth = (Z95 * se * 100) / (100 - baseline);
  return { scaled, scaledLo: clamp100(scaled - halfWidth), scaledHi: clamp100(scaled + halfWidth), lo, hi };
}

/** Expected win rate (percent) of a model rated `r` against a model rated `mean`, on the Elo/BT scale. */
export function winRateVs(r: number, mean: number): number {
  return 100 / (1 + 10 ** ((mean - r) / 400));
}

/** A rating with its interval, mapped to the expected win rate against the category's mean model. */
export function scaleRating(rating: number, lo: number, hi: number, meanRating: number): Scaled {
  return {
    scaled: winRateVs(rating, meanRating),
    scaledLo: winRateVs(lo, meanRating),
    scaledHi: winRateVs(hi, meanRating),
    lo,
    hi,
  };
}

/** Assumed spread of single-answer judge scores (1-10) when per-item scores are not available. */
export const JUDGE_SCORE_SD = 2.5;

/** A mean judge score on 1-10, mapped linearly: 1 -> 0, 10 -> 100. */
export function scaleJudgeScore(mean: number, n: number, sd = JUDGE_SCORE_SD): Scaled {
  const se = sd / Math.sqrt(Math.max(1, n));
  const lo = Math.max(1, mean - Z95 * se);
  const hi = Math.min(10, mean + Z95 * se);
  const f = (s: number) => clamp100(((s - 1) / 9) * 100);
  return { scaled: f(mean), scaledLo: f(lo), scaledHi: f(hi), lo, hi };
}

/** Standard error implied by a symmetric-ish 95% interval. */
export function seFromInterval(lo: number, hi: number): number {
  return Math.max(0, hi - lo) / (2 * Z95);
}

export { Z95 };
