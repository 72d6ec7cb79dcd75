import { chiSquareSurvival, erfc, normalQuantile } from "./special.ts";

/**
 * Effects between two variants of an online experiment (A/B test), from per-variant summaries. Every effect is
 * B - A (treatment minus control) with a normal-approximation (Wald) interval: online experiments expose
 * thousands of units per variant, where the normal approximation is what experimentation platforms report.
 * The test statistic uses the same standard error as the interval, so "the interval excludes 0" and "p < alpha"
 * always agree.
 */

export interface Effect {
  /** B - A in the metric's unit. */
  estimate: number;
  se: number;
  lower: number;
  upper: number;
  /** estimate / se (0 when both are 0). */
  z: number;
  /** Two-sided p-value of H0: no difference. */
  p: number;
}

export function waldEffect(estimate: number, se: number, level = 0.95): Effect {
  const q = normalQuantile(1 - (1 - level) / 2);
  let z: number;
  if (se > 0) z = estimate / se;
  else z = estimate === 0 ? 0 : Math.sign(estimate) * Number.POSITIVE_INFINITY;
  // erfc keeps the relative precision of tiny p-values (2 * (1 - Phi(|z|)) would round them to 0).
  const p = Number.isFinite(z) ? Math.min(1, erfc(Math.abs(z) / Math.SQRT2)) : 0;
  return { estimate, se, lower: estimate - q * se, upper: estimate + q * se, z, p };
}

export interface ProportionArm {
  units: number;
  successes: number;
}

/** Difference of proportions pB - pA with the unpooled standard error sqrt(pA(1-pA)/nA + pB(1-pB)/nB). */
export function diffProportions(a: ProportionArm, b: ProportionArm, level = 0.95): Effect {
  const pa = a.successes / a.units;
  const pb = b.successes / b.units;
  const se = Math.sqrt((pa * (1 - pa)) / a.units + (pb * (1 - pb)) / b.units);
  return waldEffect(pb - pa, se, level);
}

export interface MeanArm {
  units: number;
  mean: number;
  /** Standard deviation of the per-unit values (n - 1 denominator). */
  sd: number;
}

/** Difference of means with Welch's standard error sqrt(sA^2/nA + sB^2/nB). */
export function diffMeans(a: MeanArm, b: MeanArm, level = 0.95): Effect {
  const se = Math.sqrt((a.sd * a.sd) / a.units + (b.sd * b.sd) / b.units);
  return waldEffect(b.mean - a.mean, se, level);
}

/**
 * A ratio metric: sum(Y) / sum(X) over the units (clicks per session with users as units, tokens per
 * conversation...). The unit is what was randomized, so Y and X are correlated within a unit and the ratio's
 * variance needs the delta method, not the binomial or t formula over the denominator's events.
 */
export interface RatioArm {
  units: number;
  /** Mean of the numerator per unit, and of the denominator per unit. */
  numeratorMean: number;
  denominatorMean: number;
  numeratorSd: number;
  denominatorSd: number;
  /** Covariance of numerator and denominator across units. */
  covariance: number;
}

/**
 * The ratio mean(Y) / mean(X) and the delta-method variance of its estimate:
 * Var(R) ~ (1/n) [ s_Y^2 / mu_X^2 - 2 mu_Y s_XY / mu_X^3 + mu_Y^2 s_X^2 / mu_X^4 ]
 * (first-order Taylor expansion of f(mu_Y, mu_X) = mu_Y / mu_X around the means).
 */
export function ratioEstimate(r: RatioArm): { ratio: number; variance: number } {
  const mx = r.denominatorMean;
  const my = r.numeratorMean;
  const ratio = my / mx;
  const v =
    (r.numeratorSd ** 2 / mx ** 2 - (2 * my * r.covariance) / mx ** 3 + (my ** 2 * r.denominatorSd ** 2) / mx ** 4) /
    r.units;
  // Rounding can make an exactly-degenerate variance a hair negative.
  return { ratio, variance: Math.max(0, v) };
}

/** Difference of two ratio metrics RB - RA, the arms independent. */
export function diffRatios(a: RatioArm, b: RatioArm, level = 0.95): Effect {
  const ra = ratioEstimate(a);
  const rb = ratioEstimate(b);
  return waldEffect(rb.ratio - ra.ratio, Math.sqrt(ra.variance + rb.variance), level);
}

export interface SrmResult {
  /** Pearson's chi-square statistic of the observed units against the planned split. */
  chi2: number;
  df: number;
  p: number;
  /** Expected units per variant under the planned split. */
  expected: number[];
}

/**
 * Sample-ratio mismatch: were units assigned in the planned proportions? Pearson's chi-square goodness of fit,
 * sum (o - e)^2 / e with k - 1 degrees of freedom. A tiny p-value means the assignment or the logging is
 * broken, and the experiment's effect cannot be trusted whatever it says.
 */
export function sampleRatioMismatch(units: readonly number[], planned: readonly number[]): SrmResult {
  if (units.length !== planned.length || units.length < 2)
    throw new RangeError("sampleRatioMismatch: need one planned share per variant, at least two variants");
  const total = units.reduce((s, x) => s + x, 0);
  const share = planned.reduce((s, x) => s + x, 0);
  const expected = planned.map((w) => (total * w) / share);
  let chi2 = 0;
  for (let i = 0; i < units.length; i++) {
    const e = expected[i] as number;
    chi2 += ((units[i] as number) - e) ** 2 / e;
  }
  const df = units.length - 1;
  return { chi2, df, p: chiSquareSurvival(chi2, df), expected };
}
