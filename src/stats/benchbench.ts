import type { Rng } from "../core/rng.ts";
import { kendallTauB } from "./agreement.ts";

/**
 * BenchBench's agreement test (Perlitz et al. 2024, "Do These LLM Benchmarks Agree?", github IBM/benchbench):
 * a benchmark is judged by its Kendall tau against an aggregate of the other benchmarks, measured on many small
 * model subsets (a ranking that only agrees on the whole list may disagree wherever it matters, among
 * neighbours), and reported as a z-score among its peers' agreements, so that "0.6" means something relative
 * to how well benchmarks usually agree on these models.
 *
 * Matrices are signals x models (row-major, one Float64Array per signal), NaN where a signal lacks a model.
 */

/** Per model: the share of the other models this signal covers that it scores strictly lower (BenchBench's win rate). */
export function winRates(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  const covered: number[] = [];
  for (let i = 0; i < n; i++) if (!Number.isNaN(values[i] as number)) covered.push(i);
  if (covered.length < 2) return out;
  for (const i of covered) {
    const v = values[i] as number;
    let wins = 0;
    for (const j of covered) if (v > (values[j] as number)) wins++;
    out[i] = wins / (covered.length - 1);
  }
  return out;
}

/**
 * The mean-win-rate aggregate of every signal but `exclude`: per model, the mean of its win rates over the
 * signals that cover it, kept only where at least `minSignals` do (BenchBench keeps models that appear in a
 * third of the aggregated scenarios).
 */
export function meanWinRateAggregate(
  matrix: readonly Float64Array[],
  exclude: number,
  minSignals: number,
): Float64Array {
  const n = matrix[0]?.length ?? 0;
  const sum = new Float64Array(n);
  const count = new Int32Array(n);
  matrix.forEach((row, s) => {
    if (s === exclude) return;
    const wr = winRates(row);
    for (let i = 0; i < n; i++) {
      const w = wr[i] as number;
      if (Number.isNaN(w)) continue;
      sum[i] = (sum[i] as number) + w;
      count[i] = (count[i] as number) + 1;
    }
  });
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = count[i] as number;
    out[i] = c >= Math.max(1, minSignals) ? (sum[i] as number) / c : Number.NaN;
  }
  return out;
}

export type SubsetStrategy = "random" | "adjacent";

export interface BenchBenchOptions {
  /** Subset sizes (models per comparison); sizes above the models available are skipped. Default [5, 10, 20]. */
  sizes?: number[];
  /** Subsets drawn per size and strategy. Default 10. */
  repetitions?: number;
  strategies?: SubsetStrategy[];
  /** Fewest shared models for a signal to be tested (BenchBench's min_n_models_intersect). Default 5. */
  minModels?: number;
  /** A fresh seeded generator for each (strategy, size, repetition), so every subset can be reproduced alone. */
  rngFor(strategy: SubsetStrategy, size: number, repetition: number): Rng;
}

export interface BenchBenchSignal {
  /** Mean Kendall tau against the aggregate of the other signals over every subset drawn; NaN when untested. */
  meanTau: number;
  /** (meanTau - mean of all tested signals' meanTau) / their standard deviation (n - 1); NaN with fewer than 3. */
  z: number;
  /** Models this signal shares with its aggregate. */
  models: number;
  /** Subsets whose tau was defined (a subset where one side is all ties has none). */
  subsets: number;
}

/**
 * Runs the test for every signal. Subsets come from the shared models in index order:
 * - random: a partial Fisher-Yates shuffle, position i swapped with i + floor(u * (m - i)) for i < size;
 * - adjacent: floor(u * 2) picks the ordering (0: this signal, 1: the aggregate), the shared models are sorted
 *   by it from the highest score down (ties by index), and a window of `size` consecutive models starts at
 *   floor(u * (m - size + 1)).
 * Each subset's u's come in that order from `rngFor(strategy, size, repetition)`.
 */
export function benchbenchAgreement(matrix: readonly Float64Array[], opts: BenchBenchOptions): BenchBenchSignal[] {
  const sizes = opts.sizes ?? [5, 10, 20];
  const reps = opts.repetitions ?? 10;
  const strategies = opts.strategies ?? ["random", "adjacent"];
  const minModels = opts.minModels ?? 5;
  const k = matrix.length;
  const minSignals = Math.max(1, Math.floor((k - 1) / 3));
  const out: BenchBenchSignal[] = matrix.map((row, s) => {
    const agg = meanWinRateAggregate(matrix, s, minSignals);
    const shared: number[] = [];
    for (let i = 0; i < row.length; i++)
      if (!Number.isNaN(row[i] as number) && !Number.isNaN(agg[i] as number)) shared.push(i);
    const taus: number[] = [];
    if (shared.length >= minModels) {
      for (const strategy of strategies) {
        for (const size of sizes) {
          if (size > shared.length || size < 2) continue;
          for (let rep = 0; rep < reps; rep++) {
            const subset = drawSubset(strategy, shared, size, row, agg, opts.rngFor(strategy, size, rep));
            const t = kendallTauB(
              subset.map((i) => row[i] as number),
              subset.map((i) => agg[i] as number),
            );
            if (!Number.isNaN(t)) taus.push(t);
          }
        }
      }
    }
    const meanTau = taus.length ? taus.reduce((a, b) => a + b, 0) / taus.length : Number.NaN;
    return { meanTau, z: Number.NaN, models: shared.length, subsets: taus.length };
  });
  const tested = out.filter((o) => !Number.isNaN(o.meanTau));
  if (tested.length >= 3) {
    const mean = tested.reduce((a, o) => a + o.meanTau, 0) / tested.length;
    const sd = Math.sqrt(tested.reduce((a, o) => a + (o.meanTau - mean) ** 2, 0) / (tested.length - 1));
    for (const o of tested) o.z = sd > 0 ? (o.meanTau - mean) / sd : 0;
  }
  return out;
}

/** One subset of the shared models, by the rules in `benchbenchAgreement`'s comment. */
export function drawSubset(
  strategy: SubsetStrategy,
  shared: readonly number[],
  size: number,
  row: Float64Array,
  agg: Float64Array,
  rng: Rng,
): number[] {
  const m = shared.length;
  if (strategy === "random") {
    const a = shared.slice();
    for (let i = 0; i < size; i++) {
      const j = i + Math.floor(rng.next() * (m - i));
      const t = a[i] as number;
      a[i] = a[j] as number;
      a[j] = t;
    }
    return a.slice(0, size);
  }
  const key = Math.floor(rng.next() * 2) === 0 ? row : agg;
  const sorted = shared.slice().sort((x, y) => (key[y] as number) - (key[x] as number) || x - y);
  const start = Math.floor(rng.next() * (m - size + 1));
  return sorted.slice(start, start + size);
}
