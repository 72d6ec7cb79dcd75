import assert from "node:assert/strict";
import { test } from "node:test";
import { createRng } from "../core/rng.ts";
import { FastUniform, streamUniform } from "./binomial.ts";
import { MultinomialSampler } from "./multinomial.ts";

// Cell weights spanning every path: zero, inversion (mean < 10), PTRS (mean >= 10), and a large cell.
const WEIGHTS = Float64Array.from([0, 1, 3, 7, 9, 12, 40, 150, 600, 2500, 9000, 20000]);
const TOTAL = WEIGHTS.reduce((a, b) => a + b, 0);

test("poisson-and-fill multinomial: every draw sums to N, zero cells stay zero, same stream same draw", () => {
  const s = new MultinomialSampler(WEIGHTS, TOTAL);
  const a = new Float64Array(WEIGHTS.length);
  const b = new Float64Array(WEIGHTS.length);
  for (let r = 0; r < 50; r++) {
    s.sample(a, streamUniform(7, r));
    s.sample(b, streamUniform(7, r));
    assert.deepEqual(a, b);
    assert.equal(
      a.reduce((x, y) => x + y, 0),
      TOTAL,
    );
    assert.equal(a[0], 0);
    assert.ok(a.every((x) => Number.isInteger(x) && x >= 0));
  }
});

test("poisson-and-fill multinomial: means, variances and a covariance are the multinomial's", () => {
  const s = new MultinomialSampler(WEIGHTS, TOTAL);
  const draws = 20000;
  const c = WEIGHTS.length;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  let cross = 0;
  const out = new Float64Array(c);
  const u = new FastUniform(createRng(3));
  for (let r = 0; r < draws; r++) {
    s.sample(out, u);
    for (let x = 0; x < c; x++) {
      sum[x] = (sum[x] as number) + (out[x] as number);
      sq[x] = (sq[x] as number) + (out[x] as number) ** 2;
    }
    cross += (out[10] as number) * (out[11] as number);
  }
  for (let x = 1; x < c; x++) {
    const p = (WEIGHTS[x] as number) / TOTAL;
    const mean = (sum[x] as number) / draws;
    const variance = (sq[x] as number) / draws - mean * mean;
    const sd = Math.sqrt(TOTAL * p * (1 - p));
    assert.ok(Math.abs(mean - TOTAL * p) < (5 * sd) / Math.sqrt(draws), `cell ${x}: mean ${mean} vs ${TOTAL * p}`);
    assert.ok(Math.abs(variance / (sd * sd) - 1) < 0.06, `cell ${x}: variance ratio ${variance / (sd * sd)}`);
  }
  // Cov(X_a, X_b) = -N p_a p_b: negative, which independent Poisson draws alone would not give.
  const m10 = (sum[10] as number) / draws;
  const m11 = (sum[11] as number) / draws;
  const cov = cross / draws - m10 * m11;
  const expected = (-TOTAL * (WEIGHTS[10] as number) * (WEIGHTS[11] as number)) / TOTAL / TOTAL;
  assert.ok(Math.abs(cov / expected - 1) < 0.1, `covariance ${cov} vs ${expected}`);
});

test("streams of one seed are independent of each other and of the seed's other streams", () => {
  const a = streamUniform(1, 0);
  const b = streamUniform(1, 1);
  const c = streamUniform(2, 0);
  const xs = Array.from({ length: 4 }, () => [a.next(), b.next(), c.next()]);
  for (const [x, y, z] of xs) {
    assert.notEqual(x, y);
    assert.notEqual(x, z);
  }
  const again = streamUniform(1, 1);
  assert.equal(again.next(), xs[0]![1]);
});

test("PTRS's test decided by bounds on the logarithm gives the logarithm's answer every time", () => {
  const s = new MultinomialSampler(WEIGHTS, TOTAL);
  const inner = s as unknown as {
    accept(c: number, k: number, us: number, v: number): boolean;
    mu: Float64Array;
    pA2: Float64Array;
    pB: Float64Array;
    pIAlpha: Float64Array;
    pLogMu: Float64Array;
    logFact: Float64Array;
  };
  const u = new FastUniform(createRng(11));
  let accepted = 0;
  let checked = 0;
  for (let c = 0; c < WEIGHTS.length; c++) {
    const mu = inner.mu[c] as number;
    if (mu < 10) continue;
    for (let n = 0; n < 20000; n++) {
      const us = 0.5 * u.next();
      const v = u.next();
      const k = Math.max(0, Math.round(mu + (u.next() - 0.5) * 12 * Math.sqrt(mu)));
      const a = (inner.pA2[c] as number) / 2;
      const lhs = Math.log((v * (inner.pIAlpha[c] as number)) / (a / (us * us) + (inner.pB[c] as number)));
      const want = lhs <= -mu + k * (inner.pLogMu[c] as number) - (inner.logFact[k] as number);
      assert.equal(inner.accept(c, k, us, v), want, `cell ${c}, k ${k}, us ${us}, v ${v}`);
      if (want) accepted++;
      checked++;
    }
  }
  // Both answers occur often, so the test sees both bounds at work.
  assert.ok(accepted > checked / 10 && accepted < (checked * 9) / 10, `${accepted} of ${checked}`);
});
