import assert from "node:assert/strict";
import { test } from "node:test";
import { cohenKappa, kendallTauB, spearman } from "./agreement.ts";
import { onlineElo } from "./elo.ts";
import { predictionPoweredWinRates, rankSets, winRateMeans } from "./ppr.ts";
import { wilsonInterval } from "./proportion.ts";
import { chiSquareQuantile, chiSquareSurvivalEven, normalQuantile } from "./special.ts";

test("quantiles match published tables", () => {
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-5);
  assert.ok(Math.abs(chiSquareQuantile(0.95, 1) - 3.841459) < 1e-4);
  assert.ok(Math.abs(chiSquareQuantile(0.95, 20) - 31.410433) < 1e-4);
  assert.ok(Math.abs(chiSquareQuantile(0.9, 12) - 18.549348) < 1e-4);
  // The closed-form tail for even degrees of freedom inverts the quantile.
  for (const [p, k] of [
    [0.95, 2],
    [0.95, 20],
    [0.9, 12],
    [0.999, 10],
  ] as const)
    assert.ok(Math.abs(chiSquareSurvivalEven(chiSquareQuantile(p, k), k) - (1 - p)) < 1e-6, `k=${k} p=${p}`);
  assert.equal(chiSquareSurvivalEven(0, 4), 1);
  assert.throws(() => chiSquareSurvivalEven(1, 3), /even k/);
});

test("Cohen's kappa: textbook example", () => {
  // 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> po = 0.7, pe = 0.5, kappa = 0.4.
  assert.ok(Math.abs(cohenKappa([20, 5, 10, 15], 2) - 0.4) < 1e-12);
  assert.equal(cohenKappa([10, 0, 0, 10], 2), 1);
});

test("rank correlations", () => {
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  // One swapped adjacent pair of 4: 5 concordant, 1 discordant -> tau = 4/6.
  assert.ok(Math.abs(kendallTauB([1, 2, 3, 4], [1, 3, 2, 4]) - 4 / 6) < 1e-12);
  assert.ok(Math.abs(spearman([1, 2, 3, 4], [1, 3, 2, 4]) - 0.8) < 1e-12);
});

test("online Elo: K=4 from 1000/1000, one win moves +2/-2", () => {
  const r = onlineElo(2, Int32Array.from([0]), Int32Array.from([1]), Float64Array.from([1]));
  assert.equal(r[0], 1002);
  assert.equal(r[1], 998);
});

test("Wilson interval contains the proportion and narrows with n", () => {
  const a = wilsonInterval(60, 100);
  const b = wilsonInterval(600, 1000);
  assert.ok(a.lower < 0.6 && a.upper > 0.6);
  assert.ok(b.upper - b.lower < a.upper - a.lower);
});

test("PPR: a perfect judge gives the judge's means with the human-only variance shrunk, rank-sets are ordered", () => {
  // 3 models; the judge agrees with humans on the small set.
  const mk = (rows: Array<[number, number, number]>) => ({
    a: Int32Array.from(rows.map((r) => r[0])),
    b: Int32Array.from(rows.map((r) => r[1])),
    winA: Float64Array.from(rows.map((r) => (r[2] === 0 ? 1 : 0))),
    winB: Float64Array.from(rows.map((r) => (r[2] === 1 ? 1 : 0))),
  });
  const small: Array<[number, number, number]> = [];
  const big: Array<[number, number, number]> = [];
  for (let x = 0; x < 300; x++) {
    const pair = x % 3;
    const [a, b] = pair === 0 ? [0, 1] : pair === 1 ? [1, 2] : [0, 2];
    const outcome = x % 7 < 5 ? 0 : 1;
    (x < 60 ? small : big).push([a, b, outcome]);
  }
  const human = mk(small);
  const res = predictionPoweredWinRates({ k: 3, big: mk(big), smallJudge: human, smallHuman: human, lambda: 1 });
  const humanOnly = winRateMeans(3, human);
  // The rectifier is zero when judge == human, so the estimate is the judge's mean on the big set.
  const judgeBig = winRateMeans(3, mk(big));
  for (let m = 0; m < 3; m++) {
    assert.ok(Math.abs((res.theta[m] as number) - (judgeBig.theta[m] as number)) < 1e-12);
    assert.ok((res.sigma[m * 3 + m] as number) < (humanOnly.sigma[m * 3 + m] as number));
  }
  const sets = rankSets(res, 3, 0.1);
  for (const s of sets) assert.ok(s.lower >= 1 && s.upper <= 3 && s.lower <= s.upper);
});
