/**
 * lm-eval's aggregations (`lm_eval/api/metrics.py`): a list of per-document metric values -> one number, and the
 * standard error lm-eval reports beside it: closed form for `mean` (sample standard deviation / sqrt(n)), a seeded
 * bootstrap for median, matthews_corrcoef, f1, perplexity, bleu, chrf, ter and nanmean (chunks of 1,000 resamples,
 * chunk i drawn with `random.Random(i).choices`), none for the others. Sums are taken in Python's order
 * (left to right for `sum()`, numpy's pairwise summation for numpy reductions) so results agree to the last bits.
 */

import { ModelmapError } from "../core/errors.ts";
import { PythonRandom } from "../core/python-random.ts";
import { BleuStats } from "./sacrebleu/bleu.ts";
import { ChrfStats } from "./sacrebleu/chrf.ts";
import { TerStats } from "./sacrebleu/ter.ts";

export type Aggregation = (items: unknown[]) => number;

function num(v: unknown, what: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v === null) return Number.NaN;
  throw new ModelmapError("input", `${what}: expected a number, got ${JSON.stringify(v)}`);
}

/** Python's built-in `sum()` over floats (CPython <= 3.11: plain left-to-right addition). */
export function pySum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/** numpy's `np.sum` of a contiguous float64 array (pairwise summation, 8-way unrolled blocks of up to 128). */
export function numpySum(a: readonly number[], lo = 0, n = a.length): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[lo + i] as number;
    return res;
  }
  if (n <= 128) {
    const r = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => a[lo + j] as number);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = (r[j] as number) + (a[lo + i + j] as number);
    const [r0, r1, r2, r3, r4, r5, r6, r7] = r as [number, number, number, number, number, number, number, number];
    let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) res += a[lo + i] as number;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return numpySum(a, lo, n2) + numpySum(a, lo + n2, n - n2);
}

export function mean(items: unknown[]): number {
  return pySum(items.map((x) => num(x, "mean"))) / items.length;
}

/** lm-eval's median: the upper middle element of the sorted items (no averaging). */
export function median(items: unknown[]): number {
  const xs = items.map((x) => num(x, "median"));
  return quickselect(xs, Math.floor(xs.length / 2));
}

/** k-th smallest (the value `sorted(xs)[k]` has), without sorting everything. */
function quickselect(xs: number[], k: number): number {
  const a = xs.slice();
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k] as number;
}

export function nanmean(items: unknown[]): number {
  const xs = items.map((x) => num(x, "nanmean"));
  if (xs.length === 0 || xs.every((x) => Number.isNaN(x))) return Number.NaN;
  const count = xs.filter((x) => !Number.isNaN(x)).length;
  return numpySum(xs.map((x) => (Number.isNaN(x) ? 0 : x))) / count;
}

export function perplexity(items: unknown[]): number {
  return Math.exp(-mean(items));
}

function pairs(items: unknown[], what: string): Array<[unknown, unknown]> {
  return items.map((it) => {
    if (!Array.isArray(it) || it.length !== 2) {
      throw new ModelmapError("input", `${what}: expected (value, weight) pairs, got ${JSON.stringify(it)}`);
    }
    return [it[0], it[1]];
  });
}

function weightedMean(items: unknown[]): number {
  const ps = pairs(items, "weighted_mean");
  return pySum(ps.map((p) => num(p[0], "weighted_mean"))) / pySum(ps.map((p) => num(p[1], "weighted_mean")));
}

export function weightedPerplexity(items: unknown[]): number {
  return Math.exp(-weightedMean(items));
}

export function bitsPerByte(items: unknown[]): number {
  return -weightedMean(items) / Math.LN2;
}

/** A label as sklearn sees it (ints, strings, bools): a Map key. */
function label(v: unknown): string {
  return JSON.stringify(typeof v === "boolean" ? Number(v) : v) ?? "null";
}

/** sklearn `f1_score(golds, preds)` with its defaults (average="binary", pos_label=1, zero_division -> 0). */
export function f1Score(items: unknown[]): number {
  const ps = pairs(items, "f1");
  const labels = new Set(ps.flatMap(([g, p]) => [label(g), label(p)]));
  const pos = label(1);
  if (labels.size > 2) {
    throw new ModelmapError("input", "f1: Target is multiclass but average='binary' (as sklearn's f1_score raises)");
  }
  if (!labels.has(pos) && labels.size >= 2) {
    throw new ModelmapError("input", `f1: pos_label=1 is not a valid label (labels: ${[...labels].join(", ")})`);
  }
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const [g, p] of ps) {
    const gp = label(g) === pos;
    const pp = label(p) === pos;
    if (gp && pp) tp++;
    else if (pp) fp++;
    else if (gp) fn++;
  }
  const denom = 2 * tp + fp + fn;
  return denom === 0 ? 0 : (2 * tp) / denom;
}

/** sklearn `matthews_corrcoef(golds, preds)` (multiclass form, float64 sums as sklearn takes them). */
export function matthewsCorrcoef(items: unknown[]): number {
  const ps = pairs(items, "matthews_corrcoef");
  const index = new Map<string, number>();
  for (const [g, p] of ps) {
    for (const l of [label(g), label(p)]) if (!index.has(l)) index.set(l, index.size);
  }
  // sklearn orders the labels (np.unique) before building the confusion matrix; sums over them are order-free
  // for the counts, and the dot products below are sums of few integers, exact in float64.
  const k = index.size;
  const t = new Array<number>(k).fill(0);
  const p = new Array<number>(k).fill(0);
  let correct = 0;
  for (const [g, pr] of ps) {
    const gi = index.get(label(g)) as number;
    const pi = index.get(label(pr)) as number;
    t[gi] = (t[gi] as number) + 1;
    p[pi] = (p[pi] as number) + 1;
    if (gi === pi) correct++;
  }
  const n = ps.length;
  let tp = 0;
  let pp = 0;
  let tt = 0;
  for (let i = 0; i < k; i++) {
    tp += (t[i] as number) * (p[i] as number);
    pp += (p[i] as number) * (p[i] as number);
    tt += (t[i] as number) * (t[i] as number);
  }
  const covYtYp = correct * n - tp;
  const covYpYp = n * n - pp;
  const covYtYt = n * n - tt;
  if (covYpYp * covYtYt === 0) return 0;
  return covYtYp / Math.sqrt(covYtYt * covYpYp);
}

/**
 * lm-eval's `_sacreformat`: items are `(reference(s), prediction)` pairs; returns the reference streams
 * (transposed, cut to the fewest references as `zip` does) and the predictions.
 */
export function sacreformat(items: unknown[]): { refs: string[][]; preds: string[] } {
  const ps = pairs(items, "sacrebleu");
  let refs = ps.map((x) => x[0]);
  if (!Array.isArray(refs[0])) refs = refs.map((r) => [r]);
  const perItem = refs.map((r) => (Array.isArray(r) ? r.map(String) : Array.from(String(r))));
  const nStreams = Math.min(...perItem.map((r) => r.length));
  const streams: string[][] = [];
  for (let k = 0; k < nStreams; k++) streams.push(perItem.map((r) => r[k] as string));
  const preds = ps.map(([, pred]) => {
    if (Array.isArray(pred)) {
      if (pred.length !== 1)
        throw new ModelmapError("input", `sacrebleu: Pred must be a str, was ${JSON.stringify(pred)}`);
      return String(pred[0]);
    }
    return String(pred);
  });
  return { refs: streams, preds };
}

interface SegmentMetric {
  segment(h: string, refs: string[]): number[];
  score(stats: number[][]): number;
}

const corpusMetric =
  (make: () => SegmentMetric): Aggregation =>
  (items) => {
    const m = make();
    const { refs, preds } = sacreformat(items);
    const n = Math.min(preds.length, ...refs.map((r) => r.length));
    const stats: number[][] = [];
    for (let i = 0; i < n; i++)
      stats.push(
        m.segment(
          preds[i] as string,
          refs.map((r) => r[i] as string),
        ),
      );
    return m.score(stats);
  };

const bleuMetric = () => {
  const b = new BleuStats();
  return { segment: (h: string, r: string[]) => b.segment(h, r), score: (s: number[][]) => b.score(s).score };
};

export const bleu: Aggregation = corpusMetric(bleuMetric);
export const chrf: Aggregation = corpusMetric(() => new ChrfStats());
export const ter: Aggregation = corpusMetric(() => new TerStats());

/** `brier_score` over `(gold, probabilities)` pairs. */
export function brierScore(items: unknown[]): number {
  const ps = pairs(items, "brier_score");
  const rows = ps.map(([g, probs]) => {
    const pr = (probs as unknown[]).map((x) => num(x, "brier_score"));
    const gi = num(g, "brier_score");
    return numpySum(pr.map((x, j) => (x - (j === gi ? 1 : 0)) ** 2));
  });
  return numpySum(rows) / rows.length;
}

export const AGGREGATIONS: Readonly<Record<string, Aggregation>> = {
  mean,
  median,
  nanmean,
  perplexity,
  weighted_perplexity: weightedPerplexity,
  bits_per_byte: bitsPerByte,
  f1: f1Score,
  matthews_corrcoef: matthewsCorrcoef,
  bleu,
  chrf,
  ter,
  brier_score: brierScore,
  bypass: () => 999,
};

export const AGGREGATION_NAMES = Object.keys(AGGREGATIONS).sort();

export function getAggregation(name: string): Aggregation {
  const f = AGGREGATIONS[name];
  if (!f) {
    throw new ModelmapError("input", `unknown aggregation '${name}' (known: ${AGGREGATION_NAMES.join(", ")})`);
  }
  return f;
}

export function sampleStddev(xs: readonly number[]): number {
  const mu = pySum(xs) / xs.length;
  return Math.sqrt(pySum(xs.map((x) => (x - mu) ** 2)) / (xs.length - 1));
}

export function meanStderr(items: unknown[]): number {
  const xs = items.map((x) => num(x, "mean_stderr"));
  return sampleStddev(xs) / Math.sqrt(xs.length);
}

/** Aggregations whose standard error lm-eval bootstraps. */
const BOOTSTRAPPED = new Set(["median", "matthews_corrcoef", "f1", "perplexity", "bleu", "chrf", "ter", "nanmean"]);

/**
 * The statistic evaluated on a resample, given as item indices. For the corpus metrics each item's segment
 * statistics are computed once and summed per resample, which gives the same scores as re-scoring the resample.
 */
function resampler(aggregation: string, items: unknown[]): (idx: number[]) => number {
  if (aggregation === "bleu" || aggregation === "chrf" || aggregation === "ter") {
    const m: SegmentMetric =
      aggregation === "bleu" ? bleuMetric() : aggregation === "chrf" ? new ChrfStats() : new TerStats();
    const { refs, preds } = sacreformat(items);
    const stats = preds.map((p, i) =>
      m.segment(
        p,
        refs.map((r) => r[i] as string),
      ),
    );
    return (idx) => m.score(idx.map((i) => stats[i] as number[]));
  }
  const f = getAggregation(aggregation);
  return (idx) => f(idx.map((i) => items[i]));
}

/** lm-eval's `bootstrap_stderr(f, xs, iters)`. */
export function bootstrapStderr(aggregation: string, items: unknown[], iters: number): number {
  const stat = resampler(aggregation, items);
  const chunk = Math.min(1000, iters);
  const n = items.length;
  const res: number[] = [];
  for (let c = 0; c < Math.floor(iters / chunk); c++) {
    const rnd = new PythonRandom(c);
    for (let k = 0; k < chunk; k++) {
      // random.choices(xs, k=n): population[floor(random() * n)] for each draw.
      const idx = new Array<number>(n);
      for (let j = 0; j < n; j++) idx[j] = Math.floor(rnd.random() * n);
      res.push(stat(idx));
    }
  }
  return sampleStddev(res);
}

/**
 * The standard error lm-eval reports for `metric` aggregated by `aggregation`, or null where it prints "N/A"
 * (no closed form and no bootstrap for that aggregation, one item only, or `bootstrapIters` 0).
 * bleu, chrf and ter are bootstrapped with at most 100 resamples, as lm-eval does.
 */
export function stderrFor(
  metric: string,
  aggregation: string,
  items: unknown[],
  bootstrapIters = 100000,
): number | null {
  if (!(bootstrapIters > 0) || items.length <= 1) return null;
  if (BOOTSTRAPPED.has(aggregation)) {
    const iters = ["bleu", "chrf", "ter"].includes(metric) ? Math.min(bootstrapIters, 100) : bootstrapIters;
    return bootstrapStderr(aggregation, items, iters);
  }
  if (aggregation === "mean") return meanStderr(items);
  return null;
}
