import { chiSquareQuantile } from "./special.ts";

/**
 * Prediction-powered ranking (Chatzi, Straitouri, Thejaswi, Gomez-Rodriguez, "Prediction-Powered Ranking of
 * Large Language Models", NeurIPS 2024). Each model's quality is its win probability theta_m (the share of
 * its comparisons it wins; a tie is a win for neither, as in the paper). A small set of n comparisons has
 * both a human and a judge verdict; a large set of N has only the judge's. The estimate is
 *   theta = lambda * mean_judge(N)  -  mean(lambda * judge - human)(n)     (the second term is the rectifier)
 * with covariance lambda^2 Sigma_N + Sigma_n, and rank-sets follow from the 1 - alpha confidence ellipsoid:
 * m1 and m2 are ordered when |theta1 - theta2| > sqrt(chi2_{k,1-alpha} * Var(theta1 - theta2)).
 * Deviation from the reference code: each model's mean is normalized by that model's own number of
 * comparisons in the covariance too (the reference divides by the total number of comparisons, which
 * matches only when every model appears in every comparison).
 */
export interface PairwiseBinary {
  a: Int32Array;
  b: Int32Array;
  /** 1 if model a won (not a tie), else 0. */
  winA: Float64Array;
  /** 1 if model b won, else 0. */
  winB: Float64Array;
}

export interface MeanEstimate {
  theta: Float64Array;
  /** k x k covariance, row-major. */
  sigma: Float64Array;
}

export interface RankSet {
  lower: number;
  upper: number;
}

/** Per-model win-rate means of `values` (winA/winB) and their covariance. */
export function winRateMeans(k: number, d: PairwiseBinary): MeanEstimate {
  const m = d.a.length;
  const count = new Float64Array(k);
  const sum = new Float64Array(k);
  for (let s = 0; s < m; s++) {
    const a = d.a[s] as number;
    const b = d.b[s] as number;
    count[a] = (count[a] as number) + 1;
    count[b] = (count[b] as number) + 1;
    sum[a] = (sum[a] as number) + (d.winA[s] as number);
    sum[b] = (sum[b] as number) + (d.winB[s] as number);
  }
  const theta = new Float64Array(k);
  for (let x = 0; x < k; x++)
    theta[x] = (count[x] as number) > 0 ? (sum[x] as number) / (count[x] as number) : Number.NaN;
  const sigma = new Float64Array(k * k);
  // Each comparison touches two models: residuals on a and b, so the covariance gets the a-b cross terms.
  for (let s = 0; s < m; s++) {
    const a = d.a[s] as number;
    const b = d.b[s] as number;
    const ra = ((d.winA[s] as number) - (theta[a] as number)) / (count[a] as number);
    const rb = ((d.winB[s] as number) - (theta[b] as number)) / (count[b] as number);
    sigma[a * k + a] = (sigma[a * k + a] as number) + ra * ra;
    sigma[b * k + b] = (sigma[b * k + b] as number) + rb * rb;
    sigma[a * k + b] = (sigma[a * k + b] as number) + ra * rb;
    sigma[b * k + a] = (sigma[b * k + a] as number) + ra * rb;
  }
  return { theta, sigma };
}

export interface PprInput {
  k: number;
  /** Judge verdicts on the large (judge-only) set. */
  big: PairwiseBinary;
  /** Judge verdicts on the small set. */
  smallJudge: PairwiseBinary;
  /** Human verdicts on the same small set, same rows. */
  smallHuman: PairwiseBinary;
  /** Weight of judge verdicts in [0, 1], or "auto" (the variance-minimizing power-tuned value). */
  lambda: number | "auto";
}

export interface PprResult extends MeanEstimate {
  lambda: number;
}

export function predictionPoweredWinRates(input: PprInput): PprResult {
  const { k, big, smallJudge, smallHuman } = input;
  const n = smallJudge.a.length;
  if (smallHuman.a.length !== n) throw new Error("ppr: human and judge small sets differ in length");
  const judgeBig = winRateMeans(k, big);
  let lambda = 1;
  if (input.lambda === "auto") lambda = optimalLambda(k, big, smallJudge, smallHuman);
  else lambda = input.lambda;
  const rect: PairwiseBinary = {
    a: smallJudge.a,
    b: smallJudge.b,
    winA: new Float64Array(n),
    winB: new Float64Array(n),
  };
  for (let s = 0; s < n; s++) {
    rect.winA[s] = lambda * (smallJudge.winA[s] as number) - (smallHuman.winA[s] as number);
    rect.winB[s] = lambda * (smallJudge.winB[s] as number) - (smallHuman.winB[s] as number);
  }
  const r = winRateMeans(k, rect);
  const theta = new Float64Array(k);
  const sigma = new Float64Array(k * k);
  // A model absent from the small set gets no correction (its rectifier is unknown, taken as 0).
  for (let x = 0; x < k; x++) {
    const rx = r.theta[x] as number;
    theta[x] = lambda * (judgeBig.theta[x] as number) - (Number.isNaN(rx) ? 0 : rx);
  }
  for (let q = 0; q < k * k; q++) sigma[q] = lambda * lambda * (judgeBig.sigma[q] as number) + (r.sigma[q] as number);
  return { theta, sigma, lambda };
}

/** lambda minimizing trace(Sigma), clipped to [0, 1] (the PPI++ power tuning the paper's code offers). */
function optimalLambda(k: number, big: PairwiseBinary, sj: PairwiseBinary, sh: PairwiseBinary): number {
  const vBig = winRateMeans(k, big).sigma;
  const j = winRateMeans(k, sj);
  const h = winRateMeans(k, sh);
  const n = sj.a.length;
  const count = new Float64Array(k);
  for (let s = 0; s < n; s++) {
    count[sj.a[s] as number] = (count[sj.a[s] as number] as number) + 1;
    count[sj.b[s] as number] = (count[sj.b[s] as number] as number) + 1;
  }
  let cov = 0;
  for (let s = 0; s < n; s++) {
    const a = sj.a[s] as number;
    const b = sj.b[s] as number;
    const ca = count[a] as number;
    const cb = count[b] as number;
    cov +=
      (((sj.winA[s] as number) - (j.theta[a] as number)) * ((sh.winA[s] as number) - (h.theta[a] as number))) /
      (ca * ca);
    cov +=
      (((sj.winB[s] as number) - (j.theta[b] as number)) * ((sh.winB[s] as number) - (h.theta[b] as number))) /
      (cb * cb);
  }
  let varf = 0;
  for (let x = 0; x < k; x++) varf += (vBig[x * k + x] as number) + (j.sigma[x * k + x] as number);
  if (!(varf > 0)) return 1;
  return Math.min(1, Math.max(0, cov / varf));
}

/** Rank-sets from a confidence ellipsoid, as in the paper (rank 1 = best). */
export function rankSets(est: MeanEstimate, k: number, alpha: number): RankSet[] {
  const crit = chiSquareQuantile(1 - alpha, k);
  const out: RankSet[] = [];
  for (let m1 = 0; m1 < k; m1++) {
    let lower = 1;
    let upper = k;
    for (let m2 = 0; m2 < k; m2++) {
      if (m1 === m2) continue;
      const diff = (est.theta[m1] as number) - (est.theta[m2] as number);
      const v =
        (est.sigma[m1 * k + m1] as number) +
        (est.sigma[m2 * k + m2] as number) -
        2 * (est.sigma[m1 * k + m2] as number);
      if (Math.abs(diff) > Math.sqrt(Math.max(0, v) * crit)) {
        if (diff < 0) lower++;
        else upper--;
      }
    }
    out.push({ lower, upper });
  }
  return out;
}

/** Simultaneous intervals: the projections of the 1 - alpha ellipsoid on each coordinate. */
export function simultaneousIntervals(
  est: MeanEstimate,
  k: number,
  alpha: number,
): Array<{ lower: number; upper: number }> {
  const crit = Math.sqrt(chiSquareQuantile(1 - alpha, k));
  return Array.from({ length: k }, (_, m) => {
    const half = crit * Math.sqrt(Math.max(0, est.sigma[m * k + m] as number));
    return { lower: (est.theta[m] as number) - half, upper: (est.theta[m] as number) + half };
  });
}
