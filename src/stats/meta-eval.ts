import type { Rng } from "../core/rng.ts";
import { normalCdf, percentileSorted } from "./special.ts";

/**
 * How well one signal (a benchmark, a judge, a vote leaderboard) reproduces a reference ranking, on the models
 * both cover. Arena-Hard's metrics (Li et al. 2024, "From Crowdsourced Data to High-Quality Benchmarks", sec. 3)
 * and bootstrap intervals for rank correlations. Inputs are parallel arrays, one entry per model.
 */

/** A model's score on one signal with its 95% interval. */
export interface ScoreInterval {
  estimate: number;
  lower: number;
  upper: number;
}

const Z95 = 1.959964;

/** +1 when a is surely above b (a's lower bound strictly above b's upper bound), -1 when surely below, else 0. */
export function separated(a: ScoreInterval, b: ScoreInterval): 1 | -1 | 0 {
  if (a.lower > b.upper) return 1;
  if (b.lower > a.upper) return -1;
  return 0;
}

/** Separability with confidence: the share of model pairs whose intervals do not overlap. */
export function separability(items: readonly ScoreInterval[]): { separated: number; pairs: number; share: number } {
  let sep = 0;
  let pairs = 0;
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      pairs++;
      if (separated(items[i] as ScoreInterval, items[j] as ScoreInterval) !== 0) sep++;
    }
  }
  return { separated: sep, pairs, share: pairs ? sep / pairs : Number.NaN };
}

export interface AgreementWithCi {
  /** Mean over the pairs the reference separates of +1 (same order, separated), -1 (opposite), 0 (not separated). */
  score: number;
  /** Pairs the reference separates. */
  pairs: number;
  same: number;
  opposite: number;
  unseparated: number;
}

/** Agreement with 95% CI: over the pairs the reference separates, does the signal separate them the same way? */
export function agreementWithCi(
  signal: readonly ScoreInterval[],
  reference: readonly ScoreInterval[],
): AgreementWithCi {
  checkLengths(signal, reference);
  let same = 0;
  let opposite = 0;
  let unseparated = 0;
  for (let i = 0; i < reference.length; i++) {
    for (let j = i + 1; j < reference.length; j++) {
      const r = separated(reference[i] as ScoreInterval, reference[j] as ScoreInterval);
      if (r === 0) continue;
      const s = separated(signal[i] as ScoreInterval, signal[j] as ScoreInterval);
      if (s === 0) unseparated++;
      else if (s === r) same++;
      else opposite++;
    }
  }
  const pairs = same + opposite + unseparated;
  return { score: pairs ? (same - opposite) / pairs : Number.NaN, pairs, same, opposite, unseparated };
}

/**
 * The signal's probability that model i ranks above model j: the chance that i's score exceeds j's when each is
 * drawn from a normal with the model's estimate and the standard error implied by its 95% interval,
 * Phi((s_i - s_j) / sqrt(se_i^2 + se_j^2)). It is what the share of bootstrap rounds with i ahead estimates, and
 * it works for any signal that reports intervals (accuracies, ratings, judge grades alike).
 */
export function rankProbability(a: ScoreInterval, b: ScoreInterval): number {
  const sa = (a.upper - a.lower) / (2 * Z95);
  const sb = (b.upper - b.lower) / (2 * Z95);
  const d = a.estimate - b.estimate;
  const s = Math.sqrt(sa * sa + sb * sb);
  if (s > 0) return normalCdf(d / s);
  return d > 0 ? 1 : d < 0 ? 0 : 0.5;
}

/**
 * Pair-rank Brier score: over the pairs the reference separates, the mean squared error of the signal's
 * forecast that the reference's winner ranks above its loser (0 = certain and right, 0.25 = a coin flip,
 * 1 = certain and wrong).
 */
export function pairRankBrier(
  signal: readonly ScoreInterval[],
  reference: readonly ScoreInterval[],
): { brier: number; pairs: number } {
  checkLengths(signal, reference);
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < reference.length; i++) {
    for (let j = i + 1; j < reference.length; j++) {
      const r = separated(reference[i] as ScoreInterval, reference[j] as ScoreInterval);
      if (r === 0) continue;
      const [w, l] = r === 1 ? [i, j] : [j, i];
      const p = rankProbability(signal[w] as ScoreInterval, signal[l] as ScoreInterval);
      sum += (1 - p) ** 2;
      pairs++;
    }
  }
  return { brier: pairs ? sum / pairs : Number.NaN, pairs };
}

export interface CorrelationInterval {
  estimate: number;
  lower: number;
  upper: number;
  /** Resamples where the statistic was undefined (every resampled model tied on one side); left out. */
  undefinedRounds: number;
}

/**
 * A rank correlation with a percentile bootstrap interval over models: each round draws n models with
 * replacement (index floor(u * n) per draw, u from `rng.next()`, n draws per round in order) and recomputes
 * `stat` on them. Models drawn twice form tied pairs on both sides, which Kendall's tau-b and Spearman's
 * average ranks handle.
 */
export function bootstrapCorrelation(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  stat: (x: Float64Array, y: Float64Array) => number,
  rounds: number,
  rng: Rng,
  level = 0.95,
): CorrelationInterval {
  const n = x.length;
  if (y.length !== n) throw new RangeError("bootstrapCorrelation: x and y differ in length");
  const estimate = stat(Float64Array.from(x), Float64Array.from(y));
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  const values: number[] = [];
  let undefinedRounds = 0;
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < n; k++) {
      const idx = Math.floor(rng.next() * n);
      xs[k] = x[idx] as number;
      ys[k] = y[idx] as number;
    }
    const v = stat(xs, ys);
    if (Number.isNaN(v)) undefinedRounds++;
    else values.push(v);
  }
  const sorted = Float64Array.from(values).sort();
  const alpha = (1 - level) / 2;
  return {
    estimate,
    lower: percentileSorted(sorted, alpha),
    upper: percentileSorted(sorted, 1 - alpha),
    undefinedRounds,
  };
}

function checkLengths(a: ArrayLike<unknown>, b: ArrayLike<unknown>): void {
  if (a.length !== b.length) throw new RangeError(`signal and reference differ in length (${a.length}, ${b.length})`);
}
