import assert from "node:assert/strict";
import { test } from "node:test";
import { RATING_SCALE } from "./bradley-terry.ts";
import { penalizedRatingSe } from "./bt-laplace.ts";

test("penalized rating standard errors by hand: two models, one game", () => {
  // Ratings 1100 / 900: d = 200 / RATING_SCALE logits, p = sigmoid(d), w = p (1 - p). H = [[w+l, -w], [-w, w+l]];
  // c = (1/2, -1/2) is an eigenvector with eigenvalue 2w + l, so Var = |c|^2 / (2w + l) = 0.5 / (2w + l).
  const t = {
    k: 2,
    i: Int32Array.from([0]),
    j: Int32Array.from([1]),
    winI: Float64Array.from([1]),
    winJ: Float64Array.from([0]),
    ties: Float64Array.from([0]),
  };
  const ridge = 0.25;
  const p = 1 / (1 + Math.exp(-200 / RATING_SCALE));
  const expected = RATING_SCALE * Math.sqrt(0.5 / (2 * p * (1 - p) + ridge));
  const se = penalizedRatingSe(t, [1100, 900], ridge);
  assert.ok(Math.abs((se[0] as number) - expected) < 1e-9, `${se[0]} vs ${expected}`);
  assert.ok(Math.abs((se[1] as number) - expected) < 1e-9);
  // The offset of the ratings does not matter, only their differences.
  assert.deepEqual([...penalizedRatingSe(t, [1600, 1400], ridge)], [...se]);
  assert.throws(() => penalizedRatingSe(t, [1100, 900], 0), /ridge > 0/);
});
