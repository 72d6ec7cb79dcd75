import assert from "node:assert/strict";
import { test } from "node:test";
import { createRng } from "../core/rng.ts";
import { FastUniform, streamUniform } from "./binomial.ts";
import { MultinomialSampler } from "./multinomial.ts";
import { POISSON_NORMAL_MIN, smallCdfTable } from "./multinomial-tables.ts";
import { normalCdf } from "./special.ts";
import { normalDeviate } from "./ziggurat.ts";

// Cell weights spanning every path: zero, inversion (mean < 15), the normal-based draw (mean >= 15), a large cell.
const WEIGHTS = Float64Array.from([0, 1, 3, 7, 9, 12, 40, 150, 600, 2500, 9000, 20000]);
const TOTAL = WEIGHTS.reduce((a, b) => a + b, 0);

test("poisson-and-fill multinomial: every draw sums to N, zero cells stay zero, same stream same draw", () => {
  const s = new MultinomialSampler(WEIGHTS, TOTAL);
  const a = new Float64Array(WEIGHTS.length);
  const b = new Float64Array(WEIGHTS.length);
  // 400 draws: about 7% of them overshoot N and take the removal path, the rest the fills.
  for (let r = 0; r < 400; r++) {
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

test("the normal-based Poisson draw is within its stated distance of Poisson(mu); a plain rounded normal is not", () => {
  // Exact law of floor(map(z)) for z ~ N(0, 1): P(X <= k) = Phi(z_k) where map(z_k) = k + 1 (map is increasing).
  const tv = (mu: number, map: (z: number) => number) => {
    let prevCdf = 0;
    let logPmf = -mu; // in logarithms: e^-1000 underflows
    let dist = 0;
    for (let k = 0; k < mu + 12 * Math.sqrt(mu) + 40; k++) {
      let lo = -12;
      let hi = 12;
      for (let it = 0; it < 80; it++) {
        const mid = (lo + hi) / 2;
        if (map(mid) < k + 1) lo = mid;
        else hi = mid;
      }
      const cdf = normalCdf(lo);
      dist += Math.abs(cdf - prevCdf - Math.exp(logPmf));
      prevCdf = cdf;
      logPmf += Math.log(mu / (k + 1));
    }
    return dist / 2;
  };
  const cornishFisher = (mu: number) => (z: number) =>
    mu + 0.5 + z * Math.sqrt(mu - 1 / 12) + (z * z - 1) / 6 + (z - z * z * z) / (72 * Math.sqrt(mu));
  const rounded = (mu: number) => (z: number) => mu + 0.5 + z * Math.sqrt(mu);
  // Computed with scipy's exact normal cdf: 2.9e-4, 1.6e-5, 5e-7; normalCdf here is good to ~1e-7 per value.
  for (const [mu, bound] of [
    [POISSON_NORMAL_MIN, 3.5e-4],
    [100, 3e-5],
    [1000, 1e-5],
  ] as const) {
    const d = tv(mu, cornishFisher(mu));
    assert.ok(d < bound, `mu ${mu}: TV ${d}`);
    assert.ok(tv(mu, rounded(mu)) > 1e-3, `mu ${mu}: the rounded normal should be detectably off`);
  }
});

test("poisson-and-fill multinomial: a cell's third central moment is the multinomial's (skewness survives)", () => {
  const s = new MultinomialSampler(WEIGHTS, TOTAL);
  const draws = 40000;
  const out = new Float64Array(WEIGHTS.length);
  const u = new FastUniform(createRng(5));
  const cell = 6; // weight 40: drawn through the normal
  const xs = new Float64Array(draws);
  for (let r = 0; r < draws; r++) {
    s.sample(out, u);
    xs[r] = out[cell] as number;
  }
  const p = (WEIGHTS[cell] as number) / TOTAL;
  const mean = TOTAL * p;
  let m3 = 0;
  for (const x of xs) m3 += (x - mean) ** 3;
  m3 /= draws;
  const want = TOTAL * p * (1 - p) * (1 - 2 * p);
  // sd of the sample third moment ~ sqrt(15 sigma^6 / draws) = 4.9 here; a symmetric (plain normal) draw gives ~0.
  assert.ok(Math.abs(m3 - want) < 20, `third central moment ${m3} vs ${want}`);
});

test("ziggurat normal deviates: Kolmogorov-Smirnov against Phi, and the base layer's tail mass", () => {
  const u = new FastUniform(createRng(9));
  const n = 100000;
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = normalDeviate(u);
  xs.sort();
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = normalCdf(xs[i] as number);
    d = Math.max(d, Math.abs(f - i / n), Math.abs(f - (i + 1) / n));
  }
  assert.ok(d < 1.95 / Math.sqrt(n), `KS distance ${d}`);
  // Beyond the base layer's edge 3.4426 (both sides): 2 (1 - Phi(3.4426)) = 5.76e-4 of draws, 57.6 expected.
  const tail = xs.filter((x) => Math.abs(x) > 3.442619855899).length;
  assert.ok(Math.abs(tail - 57.6) < 4 * Math.sqrt(57.6), `tail count ${tail}`);
});

/** The inversion the tables replaced: a walk from the mode (the sampler until December 2026). */
function walkFromMode(m: number, u: number): number {
  let k = Math.floor(m);
  let p = Math.exp(-m);
  let f = p;
  for (let j = 1; j <= k; j++) {
    p *= m / j;
    f += p;
  }
  if (u < f) {
    const im = 1 / m;
    while (k > 0 && u < f - p) {
      f -= p;
      p *= k * im;
      k--;
    }
  } else {
    while (u >= f && k < 100) {
      k++;
      p *= m * (1 / k);
      f += p;
    }
  }
  return k;
}

test("small-mean Poisson inversion by cdf tables and guide entries: the walk from the mode's draws, word for word", () => {
  const mus = [1e-9, 0.003, 0.5, 1, 2.7, 6, 9.99, 14.999];
  const { start, cdf, guide } = smallCdfTable(mus);
  const rng = createRng(3);
  // Random words, every guide slice's edges, and the extremes.
  const words = [0, 1, 2 ** 32 - 1, ...Array.from({ length: 16 }, (_, g) => g * 2 ** 28)];
  for (let n = 0; n < 20_000; n++) words.push(rng.int(4294967296));
  for (const [i, m] of mus.entries()) {
    for (const r of words) {
      const u = r * 2 ** -32;
      let at = guide[i * 16 + (r >>> 28)] as number;
      while (u >= (cdf[at] as number)) at++;
      assert.equal(at - (start[i] as number), walkFromMode(m, u), `mu ${m}, word ${r}`);
    }
    // u = F(k) itself, for F(k) < 1: the draw is k + 1.
    for (let at = start[i] as number; at < (start[i + 1] ?? cdf.length) && (cdf[at] as number) < 1; at++) {
      const f = cdf[at] as number;
      const k = at - (start[i] as number);
      assert.equal(walkFromMode(m, f), k + 1, `mu ${m}, u = F(${k})`);
    }
  }
});
