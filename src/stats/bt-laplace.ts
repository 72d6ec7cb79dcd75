import { designFromTable, type PairTable, RATING_SCALE, scoreAndInformation } from "./bradley-terry.ts";
import { choleskyInPlace, choleskySolveInPlace } from "./linalg.ts";

/**
 * Standard errors of Bradley-Terry ratings (each relative to the mean rating) from the curvature of the
 * ridge-penalized log-likelihood at its maximum: Var(theta_a - mean theta) = c' H^-1 c with c = e_a - 1/k and
 * H the Fisher information plus the ridge. Where a handful of outcomes all point one way, every bootstrap
 * resample repeats them and the percentile interval collapses to a point; this normal approximation keeps the
 * prior's uncertainty in view. Needs ridge > 0 (H is singular without it). Ratings on the 400-point scale.
 */
export function penalizedRatingSe(t: PairTable, ratings: ArrayLike<number>, ridge: number): Float64Array {
  if (!(ridge > 0)) throw new RangeError("penalizedRatingSe needs a ridge > 0");
  const k = t.k;
  const theta = Float64Array.from({ length: k }, (_, a) => (ratings[a] as number) / RATING_SCALE);
  const h = new Float64Array(k * k);
  scoreAndInformation(designFromTable(t), theta, ridge, new Float64Array(k), h);
  if (!choleskyInPlace(h, k)) throw new Error("penalizedRatingSe: information matrix is not positive definite");
  const out = new Float64Array(k);
  const c = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    c.fill(-1 / k);
    c[a] = 1 - 1 / k;
    const x = Float64Array.from(c);
    choleskySolveInPlace(h, k, x);
    let v = 0;
    for (let b = 0; b < k; b++) v += (c[b] as number) * (x[b] as number);
    out[a] = RATING_SCALE * Math.sqrt(Math.max(0, v));
  }
  return out;
}
