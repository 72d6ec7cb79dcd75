import assert from "node:assert/strict";
import { test } from "node:test";
import { createRng } from "../core/rng.ts";
import { diffMeans, diffProportions, diffRatios, ratioEstimate, sampleRatioMismatch } from "./ab-effects.ts";
import { chiSquareSurvival, gammaP, gammaQ } from "./special.ts";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tolerance ${tol})`);

test("difference of proportions by hand: 100/1000 vs 150/1000", () => {
  // se = sqrt(0.1 * 0.9 / 1000 + 0.15 * 0.85 / 1000) = sqrt(0.0002175) = 0.0147478812
  const e = diffProportions({ units: 1000, successes: 100 }, { units: 1000, successes: 150 });
  close(e.estimate, 0.05, 1e-15, "estimate");
  close(e.se, 0.0147478812037526, 1e-15, "se");
  close(e.lower, 0.05 - 1.959964 * 0.0147478812037526, 1e-8, "lower");
  close(e.upper, 0.05 + 1.959964 * 0.0147478812037526, 1e-8, "upper");
  // 2 * (1 - Phi(3.39033)) = 6.98117e-4 (scipy.stats.norm.sf * 2)
  close(e.p, 6.981171463178e-4, 1e-9, "p");
  const none = diffProportions({ units: 10, successes: 0 }, { units: 10, successes: 0 });
  assert.deepEqual([none.estimate, none.se, none.z, none.p], [0, 0, 0, 1]);
});

test("difference of means by hand: Welch's standard error", () => {
  // se = sqrt(3^2/100 + 4^2/100) = 0.5, z = 1 / 0.5 = 2, p = 2 (1 - Phi(2)) = 0.0455003
  const e = diffMeans({ units: 100, mean: 10, sd: 3 }, { units: 100, mean: 11, sd: 4 });
  close(e.se, 0.5, 1e-15, "se");
  close(e.z, 2, 1e-15, "z");
  close(e.p, 0.0455002638963584, 1e-8, "p");
  close(e.lower, 1 - 1.959964 * 0.5, 1e-7, "lower");
});

test("delta method for a ratio metric by hand", () => {
  // Var = (1/n) [sY^2/muX^2 - 2 muY sXY/muX^3 + muY^2 sX^2/muX^4]
  //     = (1/100) [1/16 - 2*2*0.5/64 + 4*4/256] = (0.0625 - 0.03125 + 0.0625) / 100 = 9.375e-4
  const r = ratioEstimate({
    units: 100,
    numeratorMean: 2,
    denominatorMean: 4,
    numeratorSd: 1,
    denominatorSd: 2,
    covariance: 0.5,
  });
  close(r.ratio, 0.5, 1e-15, "ratio");
  close(r.variance, 9.375e-4, 1e-15, "variance");
  const d = diffRatios(
    { units: 100, numeratorMean: 2, denominatorMean: 4, numeratorSd: 1, denominatorSd: 2, covariance: 0.5 },
    { units: 100, numeratorMean: 2, denominatorMean: 4, numeratorSd: 1, denominatorSd: 2, covariance: 0.5 },
  );
  close(d.se, Math.sqrt(2 * 9.375e-4), 1e-15, "se of a difference");
});

test("delta-method standard error matches the spread of simulated ratio estimates", () => {
  // Per-unit sessions X ~ 1 + Poisson-ish, clicks Y correlated with X. Simulate 400 experiments of 2000 units, compare
  // the spread of the ratio estimates with the delta-method standard error computed from one experiment's moments.
  const rng = createRng(17);
  const n = 2000;
  const ratios: number[] = [];
  let lastArm: Parameters<typeof ratioEstimate>[0] | undefined;
  for (let e = 0; e < 400; e++) {
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let syy = 0;
    let sxy = 0;
    for (let u = 0; u < n; u++) {
      const x = 1 + Math.floor(rng.next() * 6);
      let y = 0;
      for (let s = 0; s < x; s++) if (rng.next() < 0.3 + 0.05 * x) y++;
      sx += x;
      sy += y;
      sxx += x * x;
      syy += y * y;
      sxy += x * y;
    }
    const mx = sx / n;
    const my = sy / n;
    ratios.push(my / mx);
    lastArm = {
      units: n,
      numeratorMean: my,
      denominatorMean: mx,
      numeratorSd: Math.sqrt((syy - n * my * my) / (n - 1)),
      denominatorSd: Math.sqrt((sxx - n * mx * mx) / (n - 1)),
      covariance: (sxy - n * mx * my) / (n - 1),
    };
  }
  const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  const empiricalSd = Math.sqrt(ratios.reduce((a, b) => a + (b - mean) ** 2, 0) / (ratios.length - 1));
  const deltaSd = Math.sqrt(ratioEstimate(lastArm!).variance);
  // 400 replicates estimate an sd to about +-3.5%; the delta method is first-order, so allow 12%.
  assert.ok(Math.abs(deltaSd / empiricalSd - 1) < 0.12, `delta ${deltaSd} vs simulated ${empiricalSd}`);
});

test("sample-ratio mismatch: chi-square against the planned split, by hand", () => {
  // 5000 vs 4500 under 50/50: e = 4750 each, chi2 = 2 * 250^2 / 4750 = 26.3158, p = P(chi2_1 > 26.3158) = 2.8991e-7
  const s = sampleRatioMismatch([5000, 4500], [0.5, 0.5]);
  close(s.chi2, 26.315789473684212, 1e-12, "chi2");
  assert.equal(s.df, 1);
  close(s.p, 2.899088282877562e-7, 1e-13, "p");
  // 60 vs 40 under 1:1: chi2 = 4, p = P(|Z| > 2) = 0.0455
  close(sampleRatioMismatch([60, 40], [1, 1]).p, 0.0455002638963584, 1e-9, "p of chi2 = 4");
  // A planned 50/30/20 split met exactly has chi2 0, p 1.
  const exact = sampleRatioMismatch([50, 30, 20], [0.5, 0.3, 0.2]);
  assert.equal(exact.chi2, 0);
  assert.equal(exact.p, 1);
  assert.throws(() => sampleRatioMismatch([1], [1]), /at least two/);
});

test("gammaQ keeps tail precision and agrees with 1 - gammaP", () => {
  for (const [a, x] of [
    [0.5, 0.1],
    [0.5, 3],
    [2, 1],
    [2, 30],
    [10, 5],
  ] as const)
    close(gammaQ(a, x), 1 - gammaP(a, x), 1e-14, `Q(${a}, ${x})`);
  // P(chi2_1 > 100) = erfc(sqrt(50)) = 1.5239706e-23: 1 - P would be 0.
  close(chiSquareSurvival(100, 1) / 1.5239706048321e-23, 1, 1e-6, "tail");
});
