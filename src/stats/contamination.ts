/**
 * Pure scoring for contamination checks. Every per-item "membership score" is oriented so that HIGHER means
 * "more likely seen in training", so one AUC helper and one flagging rule serve all methods.
 *
 * References: Carlini et al. 2021 (zlib, lowercase and reference-model ratios), Shi et al. 2024 (Min-K% Prob),
 * Zhang et al. 2024 (Min-K%++), Oren et al. 2023 (exchangeability test), lm-evaluation-harness decontamination
 * (13-gram overlap).
 */
import { deflateSync } from "node:zlib";

/** Mean negative log-likelihood per token (natural log). */
export function meanLoss(tokenLogprobs: readonly number[]): number {
  if (tokenLogprobs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of tokenLogprobs) s -= x;
  return s / tokenLogprobs.length;
}

/** zlib-compressed length in bytes (the text's "entropy" under a generic compressor). */
export function zlibBytes(text: string): number {
  return deflateSync(Buffer.from(text, "utf8"), { level: 9 }).length;
}

/**
 * Carlini's zlib ratio: log-perplexity over zlib entropy. Text the model finds easier than a compressor does is
 * suspicious, so the membership score is the negated ratio (total NLL in nats over zlib bits).
 */
export function zlibScore(totalLogprob: number, text: string): number {
  const bits = zlibBytes(text) * 8;
  return bits === 0 ? Number.NaN : totalLogprob / bits;
}

/** Ratio of the text's loss to its lowercased twin's; memorized casing makes the original relatively easier. */
export function ratioScore(lossOriginal: number, lossOther: number): number {
  if (!(lossOther > 0)) return Number.NaN;
  return -lossOriginal / lossOther;
}

/** Mean of the lowest fraction k of the values (at least one value). */
export function lowestFractionMean(values: readonly number[], k: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const n = Math.max(1, Math.floor(sorted.length * k));
  let s = 0;
  for (let i = 0; i < n; i++) s += sorted[i] as number;
  return s / n;
}

/** Min-K% Prob (Shi et al.): mean log-probability of the k% least likely tokens. */
export function minKProb(tokenLogprobs: readonly number[], k = 0.2): number {
  return lowestFractionMean(tokenLogprobs, k);
}

/**
 * Min-K%++ (Zhang et al.): each token's log-probability standardized by the mean and standard deviation of log p
 * under the model's own next-token distribution at that position, then the mean of the lowest k%.
 */
export function minKPlusPlus(
  tokenLogprobs: readonly number[],
  stats: ReadonlyArray<{ mean: number; variance: number }>,
  k = 0.2,
): number {
  if (stats.length !== tokenLogprobs.length) throw new Error("Min-K%++ needs one distribution statistic per token");
  const z = tokenLogprobs.map((lp, i) => {
    const s = stats[i] as { mean: number; variance: number };
    return (lp - s.mean) / Math.sqrt(Math.max(s.variance, 1e-12));
  });
  return lowestFractionMean(z, k);
}

/**
 * Area under the ROC curve: the probability that a random "seen" score exceeds a random "unseen" one (ties
 * count half). Mann-Whitney U over the pooled ranks, O(n log n).
 */
export function auc(seen: readonly number[], unseen: readonly number[]): number {
  const a = seen.filter(Number.isFinite);
  const b = unseen.filter(Number.isFinite);
  if (a.length === 0 || b.length === 0) return Number.NaN;
  const all = [...a.map((v) => ({ v, s: 1 })), ...b.map((v) => ({ v, s: 0 }))].sort((x, y) => x.v - y.v);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && (all[j] as { v: number }).v === (all[i] as { v: number }).v) j++;
    const mid = (i + j + 1) / 2; // average 1-based rank of the tie block
    for (let t = i; t < j; t++) if ((all[t] as { s: number }).s === 1) rankSum += mid;
    i = j;
  }
  return (rankSum - (a.length * (a.length + 1)) / 2) / (a.length * b.length);
}

function logGamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const xx = x - 1;
  let a = g[0] as number;
  const t = xx + 7.5;
  for (let i = 1; i < 9; i++) a += (g[i] as number) / (xx + i);
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(a);
}

function betaContinuedFraction(a: number, b: number, x: number): number {
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < 1e-300) d = 1e-300;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = 1 + aa / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = 1 + aa / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-14) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T > t) for Student's t with df degrees of freedom. */
export function studentTUpper(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}

export interface ExchangeabilityResult {
  shards: number;
  permutations: number;
  /** Per shard: canonical log-likelihood minus the mean over its shuffled orders (nats; > 0 favours canonical). */
  shardDiffs: number[];
  meanDiff: number;
  /** One-sided t statistic and p-value over the shard differences (Oren et al.'s sharded test). */
  t: number;
  pValue: number;
  /** Permutation p-value of the summed canonical log-likelihood against the summed shuffled ones. */
  permutationPValue: number;
}

/**
 * Oren et al.'s sharded exchangeability test. canonical[s] is the log-likelihood of shard s in canonical order;
 * shuffled[s][j] the same shard under its j-th random order. Under exchangeability (no contamination) the
 * canonical order is one more draw from the shuffled distribution, so the differences average zero.
 */
export function exchangeabilityTest(
  canonical: readonly number[],
  shuffled: ReadonlyArray<readonly number[]>,
): ExchangeabilityResult {
  const m = canonical.length;
  if (m === 0 || shuffled.length !== m) throw new Error("exchangeability test needs one shuffled list per shard");
  const r = Math.min(...shuffled.map((s) => s.length));
  if (!(r > 0)) throw new Error("exchangeability test needs at least one shuffled order per shard");
  const diffs = canonical.map((c, s) => {
    const xs = shuffled[s] as readonly number[];
    return c - xs.reduce((a, b) => a + b, 0) / xs.length;
  });
  const meanDiff = diffs.reduce((a, b) => a + b, 0) / m;
  let t = Number.NaN;
  let pValue = Number.NaN;
  if (m >= 2) {
    const sd = Math.sqrt(diffs.reduce((a, d) => a + (d - meanDiff) ** 2, 0) / (m - 1));
    t =
      sd > 0
        ? meanDiff / (sd / Math.sqrt(m))
        : meanDiff > 0
          ? Number.POSITIVE_INFINITY
          : meanDiff < 0
            ? Number.NEGATIVE_INFINITY
            : 0;
    pValue = Number.isFinite(t) ? studentTUpper(t, m - 1) : t > 0 ? 0 : t < 0 ? 1 : 0.5;
  }
  const total = canonical.reduce((a, b) => a + b, 0);
  let atLeast = 0;
  for (let j = 0; j < r; j++) {
    let s = 0;
    for (let k = 0; k < m; k++) s += (shuffled[k] as readonly number[])[j] as number;
    if (s >= total) atLeast++;
  }
  return {
    shards: m,
    permutations: r,
    shardDiffs: diffs,
    meanDiff,
    t,
    pValue,
    permutationPValue: (1 + atLeast) / (1 + r),
  };
}

/** Splits n item indices into `shards` contiguous shards of near-equal size (canonical order kept inside). */
export function shardIndices(n: number, shards: number): number[][] {
  const k = Math.max(1, Math.min(shards, n));
  const out: number[][] = [];
  for (let s = 0; s < k; s++) {
    const lo = Math.floor((s * n) / k);
    const hi = Math.floor(((s + 1) * n) / k);
    out.push(Array.from({ length: hi - lo }, (_, i) => lo + i));
  }
  return out;
}

/** lm-evaluation-harness style normalization before n-gram matching: lowercase, punctuation to spaces, words. */
export function ngramWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]+/gu, " ")
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

export function ngrams(words: readonly string[], n = 13): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= words.length; i++) out.push(words.slice(i, i + n).join(" "));
  return out;
}

/**
 * For each item, the fraction of its n-grams found in the corpus n-gram set. Items shorter than n words are
 * matched as a whole (as lm-evaluation-harness does for short documents) and score 0 or 1.
 */
export function ngramOverlap(items: readonly string[], corpus: ReadonlySet<string>, n = 13): number[] {
  return items.map((text) => {
    const words = ngramWords(text);
    if (words.length < n) return corpus.has(`short:${words.join(" ")}`) ? 1 : 0;
    const grams = ngrams(words, n);
    let hit = 0;
    for (const g of grams) if (corpus.has(g)) hit++;
    return hit / grams.length;
  });
}

/** Kendall's tau-b between two score vectors over the same models. */
export function kendallTau(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error("kendallTau needs equal lengths");
  let conc = 0;
  let disc = 0;
  let tieA = 0;
  let tieB = 0;
  for (let i = 0; i < a.length; i++)
    for (let j = i + 1; j < a.length; j++) {
      const da = Math.sign((a[i] as number) - (a[j] as number));
      const db = Math.sign((b[i] as number) - (b[j] as number));
      if (da === 0 && db === 0) continue;
      if (da === 0) tieA++;
      else if (db === 0) tieB++;
      else if (da === db) conc++;
      else disc++;
    }
  const denom = Math.sqrt((conc + disc + tieA) * (conc + disc + tieB));
  return denom === 0 ? Number.NaN : (conc - disc) / denom;
}

/** min, max and sample standard deviation. */
export function spread(xs: readonly number[]): { min: number; max: number; sd: number } {
  if (xs.length === 0) return { min: Number.NaN, max: Number.NaN, sd: Number.NaN };
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) : 0;
  return { min: Math.min(...xs), max: Math.max(...xs), sd };
}
