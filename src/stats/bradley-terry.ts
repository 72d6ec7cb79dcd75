import { choleskyInPlace, choleskySolveInPlace } from "./linalg.ts";

/**
 * Bradley-Terry on aggregated pair counts, as pairwise logistic regression: P(i beats j) = sigmoid(theta_i -
 * theta_j [+ z . beta]). A tie counts as half a win for each side. Parameters are natural log-odds; turn
 * them into arena ratings with `toRatings` (400 * log10 scale).
 */

/** Outcome counts per model pair; the arrays are parallel, one entry per pair (i != j). */
export interface PairTable {
  k: number;
  i: Int32Array;
  j: Int32Array;
  winI: Float64Array;
  winJ: Float64Array;
  /** Ties of both kinds; each is half a win for either side. */
  ties: Float64Array;
}

/**
 * A pairwise logistic design: row r says model i[r] met model j[r] n[r] times and scored y[r] (wins plus
 * half the ties). Optional covariates z (rows x p, row-major) enter the linear predictor with shared
 * coefficients beta; this is what style control (length, markdown) needs on top of plain Bradley-Terry.
 */
export interface PairwiseDesign {
  k: number;
  i: Int32Array;
  j: Int32Array;
  n: Float64Array;
  y: Float64Array;
  p?: number;
  z?: Float64Array;
}

export interface FitOptions {
  /** Starting parameters (length k + p); warm starts make refits cheap. */
  init?: Float64Array;
  /** L2 penalty lambda/2 * |theta|^2 (a Gaussian prior with sd 1/sqrt(lambda) logits); 0 = plain MLE. */
  ridge?: number;
  /** Stop when the largest Newton step is below this many logits. */
  tol?: number;
  maxIter?: number;
}

export interface FitResult {
  /** k model strengths then p covariate coefficients, natural log-odds scale. */
  params: Float64Array;
  iterations: number;
  converged: boolean;
  /** Largest absolute score (gradient) component at the end. */
  maxGradient: number;
  logLik: number;
}

export function designFromTable(t: PairTable): PairwiseDesign {
  const m = t.i.length;
  const n = new Float64Array(m);
  const y = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    const ties = t.ties[r] as number;
    n[r] = (t.winI[r] as number) + (t.winJ[r] as number) + ties;
    y[r] = (t.winI[r] as number) + ties / 2;
  }
  return { k: t.k, i: t.i, j: t.j, n, y };
}

/** Log-likelihood (minus the ridge penalty) of a design at `params`. */
export function pairwiseLogLik(d: PairwiseDesign, params: Float64Array, ridge = 0): number {
  const p = d.p ?? 0;
  // The design's arrays in locals and the linear predictor written out: the point fit runs this code cold, once
  // per Newton step, in the interpreter until it is compiled, where every property read and call costs.
  const { i, j, n, y, z, k } = d;
  let ll = 0;
  for (let r = 0; r < i.length; r++) {
    const nr = n[r] as number;
    if (nr === 0) continue;
    let eta = (params[i[r] as number] as number) - (params[j[r] as number] as number);
    if (p > 0 && z) for (let c = 0; c < p; c++) eta += (z[r * p + c] as number) * (params[k + c] as number);
    const yr = y[r] as number;
    // log sigmoid(eta) and log sigmoid(-eta) share log(1 + e^-|eta|): one exponential and one log1p per pair
    // instead of two of each, with the same values (for eta >= 0, log sigmoid(-eta) = -eta - that term).
    let up: number;
    let down: number;
    if (eta >= 0) {
      const l = Math.log1p(Math.exp(-eta));
      up = -l;
      down = -eta - l;
    } else {
      const l = Math.log1p(Math.exp(eta));
      up = eta - l;
      down = -l;
    }
    ll += yr * up + (nr - yr) * down;
  }
  for (let a = 0; a < d.k; a++) ll -= (ridge / 2) * (params[a] as number) ** 2;
  return ll;
}

/**
 * Fills the gradient `g` and, if `h` is given, the negative Hessian (the Fisher information, row-major
 * dim x dim) at `params`.
 */
export function scoreAndInformation(
  d: PairwiseDesign,
  params: Float64Array,
  ridge: number,
  g: Float64Array,
  h?: Float64Array,
): void {
  const p = d.p ?? 0;
  const dim = d.k + p;
  g.fill(0);
  if (h) h.fill(0);
  // As in pairwiseLogLik: locals, and the linear predictor written out (cold code).
  const { i, j, n, y, z, k } = d;
  for (let r = 0; r < i.length; r++) {
    const nr = n[r] as number;
    if (nr === 0) continue;
    const a = i[r] as number;
    const b = j[r] as number;
    let eta = (params[a] as number) - (params[b] as number);
    if (p > 0 && z) for (let c = 0; c < p; c++) eta += (z[r * p + c] as number) * (params[k + c] as number);
    const prob = 1 / (1 + Math.exp(-eta));
    const resid = (y[r] as number) - nr * prob;
    g[a] = (g[a] as number) + resid;
    g[b] = (g[b] as number) - resid;
    for (let c = 0; c < p; c++) g[d.k + c] = (g[d.k + c] as number) + resid * (d.z![r * p + c] as number);
    if (!h) continue;
    const w = nr * prob * (1 - prob);
    h[a * dim + a] = (h[a * dim + a] as number) + w;
    h[b * dim + b] = (h[b * dim + b] as number) + w;
    h[a * dim + b] = (h[a * dim + b] as number) - w;
    h[b * dim + a] = (h[b * dim + a] as number) - w;
    for (let c = 0; c < p; c++) {
      const zc = d.z![r * p + c] as number;
      const kc = d.k + c;
      h[a * dim + kc] = (h[a * dim + kc] as number) + w * zc;
      h[kc * dim + a] = (h[kc * dim + a] as number) + w * zc;
      h[b * dim + kc] = (h[b * dim + kc] as number) - w * zc;
      h[kc * dim + b] = (h[kc * dim + b] as number) - w * zc;
      for (let e = 0; e < p; e++) {
        const ke = d.k + e;
        h[kc * dim + ke] = (h[kc * dim + ke] as number) + w * zc * (d.z![r * p + e] as number);
      }
    }
  }
  if (ridge > 0) {
    for (let a = 0; a < d.k; a++) {
      g[a] = (g[a] as number) - ridge * (params[a] as number);
      if (h) h[a * dim + a] = (h[a * dim + a] as number) + ridge;
    }
  }
}

/**
 * Without a ridge the strengths are only defined up to a constant. Adding mu * 11^T / k to the strength
 * block pins the step to sum zero (the score is orthogonal to 1), which keeps the mean where it started.
 */
export function pinMean(h: Float64Array, k: number, dim: number): void {
  let mu = 0;
  for (let a = 0; a < k; a++) mu += h[a * dim + a] as number;
  mu = mu / k / k || 1 / k;
  for (let a = 0; a < k; a++) {
    const row = a * dim;
    for (let b = row; b < row + k; b++) h[b] = (h[b] as number) + mu;
  }
}

/** Newton-Raphson with step halving. Deterministic; never throws on non-convergence (reports it). */
export function fitPairwiseLogit(d: PairwiseDesign, opts: FitOptions = {}): FitResult {
  const p = d.p ?? 0;
  const dim = d.k + p;
  const ridge = opts.ridge ?? 0;
  const tol = opts.tol ?? 1e-9;
  const maxIter = opts.maxIter ?? 100;
  const params = opts.init ? Float64Array.from(opts.init) : new Float64Array(dim);
  if (ridge === 0) centre(params, d.k);
  const g = new Float64Array(dim);
  const h = new Float64Array(dim * dim);
  const trial = new Float64Array(dim);
  let ll = pairwiseLogLik(d, params, ridge);
  let converged = false;
  let it = 0;
  for (; it < maxIter; it++) {
    scoreAndInformation(d, params, ridge, g, h);
    if (ridge === 0) pinMean(h, d.k, dim);
    if (!choleskyInPlace(h, dim)) break;
    const step = Float64Array.from(g);
    choleskySolveInPlace(h, dim, step);
    let maxStep = 0;
    for (let a = 0; a < dim; a++) maxStep = Math.max(maxStep, Math.abs(step[a] as number));
    // Step halving keeps each iteration an ascent step even far from the optimum.
    let scale = 1;
    let next = ll;
    for (let half = 0; half < 30; half++) {
      for (let a = 0; a < dim; a++) trial[a] = (params[a] as number) + scale * (step[a] as number);
      next = pairwiseLogLik(d, trial, ridge);
      if (next >= ll - 1e-12 * Math.abs(ll)) break;
      scale /= 2;
    }
    params.set(trial);
    ll = next;
    if (maxStep * scale < tol) {
      converged = true;
      it++;
      break;
    }
  }
  scoreAndInformation(d, params, ridge, g);
  let maxGradient = 0;
  for (let a = 0; a < dim; a++) maxGradient = Math.max(maxGradient, Math.abs(g[a] as number));
  return { params, iterations: it, converged, maxGradient, logLik: ll };
}

export function fitBradleyTerry(t: PairTable, opts: FitOptions = {}): FitResult {
  return fitPairwiseLogit(designFromTable(t), opts);
}

function centre(x: Float64Array, k: number): void {
  let m = 0;
  for (let a = 0; a < k; a++) m += x[a] as number;
  m /= k;
  for (let a = 0; a < k; a++) x[a] = (x[a] as number) - m;
}

/** Arena scale: 400 * log10(e) per logit. */
export const RATING_SCALE = 400 / Math.LN10;

/**
 * Converts strengths to ratings: anchored so model `anchor.index` gets `anchor.rating`, or (without an
 * anchor) so that the mean rating is `mean` (default 1000).
 */
export function toRatings(
  theta: ArrayLike<number>,
  k: number,
  anchor?: { index: number; rating: number },
  mean = 1000,
): Float64Array {
  const out = new Float64Array(k);
  let avg = 0;
  for (let a = 0; a < k; a++) avg += theta[a] as number;
  avg /= k;
  const offset = anchor ? anchor.rating - RATING_SCALE * (theta[anchor.index] as number) : mean - RATING_SCALE * avg;
  for (let a = 0; a < k; a++) out[a] = RATING_SCALE * (theta[a] as number) + offset;
  return out;
}

/** P(i beats j) for two ratings on the arena scale (ties as half). */
export function winProbability(ratingI: number, ratingJ: number): number {
  return 1 / (1 + 10 ** ((ratingJ - ratingI) / 400));
}
