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

function numbers(items: unknown[], what: string): Float64Array {
  return Float64Array.from(items, (x) => num(x, what));
}

/** k-th smallest (the value `sorted(xs)[k]` has), without sorting everything. */
function quickselect(xs: ArrayLike<number>, k: number): number {
  const a = Array.from(xs);
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

/** Items as `(gold, pred)` label ids (labels compared as sklearn compares them: 1 == 1.0 == True). */
interface LabelPairs {
  gold: Int32Array;
  pred: Int32Array;
  labels: string[];
}

function labelPairs(items: unknown[], what: string): LabelPairs {
  const ps = pairs(items, what);
  const index = new Map<string, number>();
  const id = (v: unknown) => {
    const l = label(v);
    let i = index.get(l);
    if (i === undefined) {
      i = index.size;
      index.set(l, i);
    }
    return i;
  };
  const gold = new Int32Array(ps.length);
  const pred = new Int32Array(ps.length);
  ps.forEach(([g, p], k) => {
    gold[k] = id(g);
    pred[k] = id(p);
  });
  return { gold, pred, labels: [...index.keys()] };
}

/** The id of pos_label=1, after sklearn's checks for average="binary". */
function binaryPositive(lp: LabelPairs): number {
  if (lp.labels.length > 2) {
    throw new ModelmapError("input", "f1: Target is multiclass but average='binary' (as sklearn's f1_score raises)");
  }
  const pos = lp.labels.indexOf(label(1));
  if (pos < 0 && lp.labels.length >= 2) {
    throw new ModelmapError("input", `f1: pos_label=1 is not a valid label (labels: ${lp.labels.join(", ")})`);
  }
  return pos;
}

function f1FromIds(lp: LabelPairs, pos: number, idx?: ArrayLike<number>): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const n = idx ? idx.length : lp.gold.length;
  for (let k = 0; k < n; k++) {
    const i = idx ? (idx[k] as number) : k;
    const gp = lp.gold[i] === pos;
    const pp = lp.pred[i] === pos;
    if (gp && pp) tp++;
    else if (pp) fp++;
    else if (gp) fn++;
  }
  const denom = 2 * tp + fp + fn;
  return denom === 0 ? 0 : (2 * tp) / denom;
}

/** sklearn `f1_score(golds, preds)` with its defaults (average="binary", pos_label=1, zero_division -> 0). */
export function f1Score(items: unknown[]): number {
  const lp = labelPairs(items, "f1");
  return f1FromIds(lp, binaryPositive(lp));
}

function mccFromIds(lp: LabelPairs, idx?: ArrayLike<number>): number {
  // Sums over labels of integer counts: exact in float64 whatever the label order (sklearn sorts them).
  const k = lp.labels.length;
  const t = new Float64Array(k);
  const p = new Float64Array(k);
  let correct = 0;
  const n = idx ? idx.length : lp.gold.length;
  for (let j = 0; j < n; j++) {
    const i = idx ? (idx[j] as number) : j;
    const g = lp.gold[i] as number;
    const pr = lp.pred[i] as number;
    t[g] = (t[g] as number) + 1;
    p[pr] = (p[pr] as number) + 1;
    if (g === pr) correct++;
  }
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

/** sklearn `matthews_corrcoef(golds, preds)` (multiclass form, float64 sums as sklearn takes them). */
export function matthewsCorrcoef(items: unknown[]): number {
  return mccFromIds(labelPairs(items, "matthews_corrcoef"));
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
  const pick = (xs: Float64Array, idx: number[]) => {
    const out = new Array<number>(idx.length);
    for (let k = 0; k < idx.length; k++) out[k] = xs[idx[k] as number] as number;
    return out;
  };
  switch (aggregation) {
    case "median": {
      const xs = numbers(items, "median");
      return (idx) => quickselect(pick(xs, idx), Math.floor(idx.length / 2));
    }
    case "perplexity": {
      const xs = numbers(items, "perplexity");
      return (idx) => Math.exp(-(pySum(pick(xs, idx)) / idx.length));
    }
    case "nanmean": {
      const xs = numbers(items, "nanmean");
      return (idx) => nanmean(pick(xs, idx));
    }
    case "f1": {
      const lp = labelPairs(items, "f1");
      const pos = binaryPositive(lp);
      return (idx) => f1FromIds(lp, pos, idx);
    }
    case "matthews_corrcoef": {
      const lp = labelPairs(items, "matthews_corrcoef");
      return (idx) => mccFromIds(lp, idx);
    }
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
