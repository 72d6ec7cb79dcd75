import { normalCdf, normalQuantile } from "./special.ts";

/** Wilson score interval for a binomial proportion (sensible near 0 and 1 and for small n). */
export function wilsonInterval(successes: number, n: number, level = 0.95): { lower: number; upper: number } {
  if (n === 0) return { lower: 0, upper: 1 };
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/** Two-sided p-value of H0: p = p0, normal approximation (n is large in every use here). */
export function binomialTestPValue(successes: number, n: number, p0 = 0.5): number {
  if (n === 0) return 1;
  const z = (successes - n * p0) / Math.sqrt(n * p0 * (1 - p0));
  return Math.min(1, 2 * (1 - normalCdf(Math.abs(z))));
}
