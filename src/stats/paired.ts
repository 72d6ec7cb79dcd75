/**
 * Paired comparisons of two models on the same items, pure: a paired bootstrap interval for the difference of
 * means, and McNemar's test for binary scores (exact binomial when the discordant pairs are few).
 */

import type { Rng } from "../core/rng.ts";
import { erfc } from "./special.ts";

export interface PairedBootstrap {
  n: number;
  /** mean(a) - mean(b). */
  diff: number;
  lower: number;
  upper: number;
  /** Share of resamples where the difference has the opposite sign of the observed one (two-sided, doubled). */
  pValue: number;
}

/** Percentile interval of mean(a_i - b_i) over `iterations` resamples of items, with replacement. */
export function pairedBootstrap(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  rng: Rng,
  iterations = 2000,
  level = 0.95,
): PairedBootstrap {
  const n = a.length;
  if (b.length !== n) throw new RangeError("paired bootstrap needs equally long samples");
  const d = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    d[i] = (a[i] as number) - (b[i] as number);
    sum += d[i] as number;
  }
  const diff = n === 0 ? Number.NaN : sum / n;
  if (n === 0) return { n, diff, lower: Number.NaN, upper: Number.NaN, pValue: Number.NaN };
  const stats = new Float64Array(iterations);
  let opposite = 0;
  for (let r = 0; r < iterations; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[rng.int(n)] as number;
    const m = s / n;
    stats[r] = m;
    if (diff >= 0 ? m <= 0 : m >= 0) opposite++;
  }
  stats.sort();
  const lo = (1 - level) / 2;
  const q = (p: number) => stats[Math.min(iterations - 1, Math.max(0, Math.floor(p * iterations)))] as number;
  return { n, diff, lower: q(lo), upper: q(1 - lo), pValue: Math.min(1, (2 * opposite) / iterations) };
}

export interface McNemar {
  /** a right, b wrong. */
  b: number;
  /** a wrong, b right. */
  c: number;
  statistic: number;
  pValue: number;
  method: "exact" | "chi2-cc";
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/** McNemar's test on paired binary outcomes (values > 0.5 count as correct). */
export function mcnemar(a: ArrayLike<number>, b: ArrayLike<number>): McNemar {
  if (a.length !== b.length) throw new RangeError("McNemar needs paired samples");
  let nb = 0;
  let nc = 0;
  for (let i = 0; i < a.length; i++) {
    const x = (a[i] as number) > 0.5;
    const y = (b[i] as number) > 0.5;
    if (x && !y) nb++;
    else if (!x && y) nc++;
  }
  const m = nb + nc;
  if (m === 0) return { b: 0, c: 0, statistic: 0, pValue: 1, method: "exact" };
  if (m < 25) {
    // Exact two-sided binomial test with p = 1/2.
    const k = Math.min(nb, nc);
    let tail = 0;
    for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(m, i) - m * Math.LN2);
    return { b: nb, c: nc, statistic: k, pValue: Math.min(1, 2 * tail), method: "exact" };
  }
  const statistic = (Math.abs(nb - nc) - 1) ** 2 / m;
  // Chi-square with 1 degree of freedom: P(X > s) = erfc(sqrt(s/2)).
  return { b: nb, c: nc, statistic, pValue: erfc(Math.sqrt(statistic / 2)), method: "chi2-cc" };
}
