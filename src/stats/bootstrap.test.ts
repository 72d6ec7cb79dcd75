import assert from "node:assert/strict";
import { test } from "node:test";
import { createRng } from "../core/rng.ts";
import { FastUniform, sampleBinomial, sampleMultinomial } from "./binomial.ts";
import {
  bootstrapBradleyTerry,
  bootstrapJob,
  bootstrapRounds,
  percentileIntervals,
  prepareBootstrap,
} from "./bootstrap.ts";
import { fitBradleyTerry, type PairTable, toRatings } from "./bradley-terry.ts";
import { ranksFromIntervals, tiersFromIntervals } from "./intervals.ts";
import { percentileSorted } from "./special.ts";

test("binomial sampler: mean and variance match n*p and n*p*(1-p) on both code paths", () => {
  const u = new FastUniform(createRng(5));
  for (const [n, p] of [
    [20, 0.2],
    [1000, 0.3],
    [1_000_000, 0.001],
    [50, 0.9],
  ] as const) {
    const draws = 20000;
    let s = 0;
    let s2 = 0;
    for (let x = 0; x < draws; x++) {
      const v = sampleBinomial(n, p, u);
      assert.ok(Number.isInteger(v) && v >= 0 && v <= n);
      s += v;
      s2 += v * v;
    }
    const mean = s / draws;
    const variance = s2 / draws - mean * mean;
    const sd = Math.sqrt(n * p * (1 - p));
    assert.ok(Math.abs(mean - n * p) < (5 * sd) / Math.sqrt(draws), `mean ${mean} for n=${n} p=${p}`);
    assert.ok(Math.abs(variance / (sd * sd) - 1) < 0.05, `variance ratio ${variance / (sd * sd)} for n=${n} p=${p}`);
  }
});

test("multinomial draws keep the total and are reproducible from the seed", () => {
  const probs = Float64Array.from([5, 0, 1, 100, 3, 40]);
  const a = new Float64Array(6);
  const b = new Float64Array(6);
  sampleMultinomial(1000, probs, a, new FastUniform(createRng(9)));
  sampleMultinomial(1000, probs, b, new FastUniform(createRng(9)));
  assert.deepEqual(a, b);
  assert.equal(
    a.reduce((x, y) => x + y, 0),
    1000,
  );
  assert.equal(a[1], 0);
});

function smallTable(): PairTable {
  return {
    k: 4,
    i: Int32Array.from([0, 0, 1, 1, 2, 0]),
    j: Int32Array.from([1, 2, 2, 3, 3, 3]),
    winI: Float64Array.from([60, 70, 55, 80, 65, 90]),
    winJ: Float64Array.from([40, 30, 45, 20, 35, 10]),
    ties: Float64Array.from([10, 5, 8, 3, 6, 2]),
  };
}

test("multinomial-cell bootstrap agrees with resampling battle rows", () => {
  const t = smallTable();
  const fit = fitBradleyTerry(t);
  const theta = fit.params;
  const fast = percentileIntervals(bootstrapBradleyTerry(t, theta, { rounds: 600, rng: createRng(1) }), 0.95);
  // Straightforward reference: expand to rows, resample rows, aggregate, refit from scratch.
  const rows: Array<[number, number, 0 | 1 | 2]> = [];
  for (let r = 0; r < t.i.length; r++) {
    for (let x = 0; x < t.winI[r]!; x++) rows.push([t.i[r]!, t.j[r]!, 0]);
    for (let x = 0; x < t.winJ[r]!; x++) rows.push([t.i[r]!, t.j[r]!, 1]);
    for (let x = 0; x < t.ties[r]!; x++) rows.push([t.i[r]!, t.j[r]!, 2]);
  }
  const rng = createRng(2);
  const samples: number[][] = [[], [], [], []];
  for (let round = 0; round < 600; round++) {
    const u: PairTable = { ...t, winI: new Float64Array(6), winJ: new Float64Array(6), ties: new Float64Array(6) };
    for (let x = 0; x < rows.length; x++) {
      const [a, b, o] = rows[rng.int(rows.length)]!;
      let r = 0;
      while (t.i[r] !== a || t.j[r] !== b) r++;
      const arr = o === 0 ? u.winI : o === 1 ? u.winJ : u.ties;
      arr[r] = (arr[r] as number) + 1;
    }
    const rr = toRatings(fitBradleyTerry(u).params, 4);
    for (let m = 0; m < 4; m++) samples[m]!.push(rr[m] as number);
  }
  for (let m = 0; m < 4; m++) {
    const s = Float64Array.from(samples[m]!).sort();
    const refWidth = percentileSorted(s, 0.975) - percentileSorted(s, 0.025);
    const width = fast[m]!.upper - fast[m]!.lower;
    assert.ok(Math.abs(width / refWidth - 1) < 0.2, `model ${m}: width ${width} vs reference ${refWidth}`);
  }
});

test("bootstrap is reproducible from the seed and brackets the estimate", () => {
  const t = smallTable();
  const theta = fitBradleyTerry(t).params;
  const a = bootstrapBradleyTerry(t, theta, { rounds: 200, rng: createRng(3) });
  const b = bootstrapBradleyTerry(t, theta, { rounds: 200, rng: createRng(3) });
  assert.deepEqual(a.ratings, b.ratings);
  const point = toRatings(theta, 4);
  const iv = percentileIntervals(a, 0.95);
  for (let m = 0; m < 4; m++) assert.ok(iv[m]!.lower < point[m]! && point[m]! < iv[m]!.upper);
});

test("percentile intervals sorting only the tails are those of each whole sorted column, tails thin or not", () => {
  const rng = createRng(21);
  const rounds = 1000;
  // Columns: normal-ish, heavily skewed, few distinct values (ties at the cut), constant, one NaN, far out values,
  // signed zeros, and tails one value too thin.
  const columns: Array<(r: number) => number> = [
    () => 1000 + 10 * (rng.next() + rng.next() + rng.next() - 1.5),
    () => (-Math.log(1 - rng.next())) ** 3,
    () => rng.int(5),
    () => 1234.5,
    (r) => (r === 500 ? Number.NaN : rng.next()),
    (r) => (r % 97 === 0 ? 1e6 : rng.next()),
    () => (rng.next() < 0.5 ? -0 : 0),
    // 25 values in one tail at 95% over 1000 rounds, one short of the 26 that ranks 24 and 25 need, 30 in the other.
    (r) => (r < 25 ? -1000 - r : r < 55 ? 1000 + r : rng.next()),
    (r) => (r < 25 ? 1000 + r : r < 55 ? -1000 - r : rng.next()),
  ];
  const k = columns.length;
  const ratings = new Float64Array(rounds * k);
  for (let r = 0; r < rounds; r++) for (let a = 0; a < k; a++) ratings[r * k + a] = columns[a]!(r);
  for (const [n, level] of [
    [rounds, 0.95],
    [rounds, 0.99],
    [rounds, 0.5],
    [rounds, 0.8],
    [40, 0.95],
  ] as const) {
    const b = { rounds: n, k, ratings: ratings.subarray(0, n * k), newtonRefits: 0, ridgeRefits: 0, chordSteps: 0 };
    const want = columns.map((_, a) => {
      const col = Float64Array.from({ length: n }, (_, r) => ratings[r * k + a] as number).sort();
      return { lower: percentileSorted(col, (1 - level) / 2), upper: percentileSorted(col, 1 - (1 - level) / 2) };
    });
    assert.deepEqual(percentileIntervals(b, level), want, `rounds ${n}, level ${level}`);
  }
});

test("a job prepared once (the set-up sent to worker threads) draws and fits the same rounds as one set up by each runner", () => {
  // Above 2000 battles, so the prepared sampler tables (Poisson-and-fill) are the ones used.
  const t: PairTable = {
    k: 4,
    i: Int32Array.from([0, 0, 1, 2]),
    j: Int32Array.from([1, 2, 3, 3]),
    winI: Float64Array.from([600, 700, 800, 400]),
    winJ: Float64Array.from([400, 300, 200, 600]),
    ties: Float64Array.from([100, 50, 30, 40]),
  };
  const theta = Float64Array.from(fitBradleyTerry(t).params.subarray(0, t.k));
  const job = bootstrapJob(t, theta, { rounds: 30, rng: createRng(5) });
  const prepared = prepareBootstrap(job);
  assert.ok(prepared.prepared && prepared.prepared.hinv.length === 16);
  // A structured clone is what a worker receives.
  assert.deepEqual(bootstrapRounds(structuredClone(prepared), 0, 30).ratings, bootstrapRounds(job, 0, 30).ratings);
});

test("rank rule and tiers", () => {
  const items = [
    { estimate: 1300, lower: 1290, upper: 1310 },
    { estimate: 1295, lower: 1285, upper: 1305 },
    { estimate: 1250, lower: 1240, upper: 1260 },
    { estimate: 1245, lower: 1230, upper: 1262 },
    { estimate: 1100, lower: 1090, upper: 1110 },
  ];
  assert.deepEqual(ranksFromIntervals(items), [1, 1, 3, 3, 5]);
  assert.deepEqual(tiersFromIntervals(items), [1, 1, 2, 2, 3]);
});

test("resamples without a finite MLE fall back to the prior and stay finite", () => {
  // Model 3 won 1 of 10 games: about a third of resamples give it no win at all.
  const t: PairTable = {
    k: 4,
    i: Int32Array.from([0, 0, 1, 0]),
    j: Int32Array.from([1, 2, 2, 3]),
    winI: Float64Array.from([30, 35, 28, 9]),
    winJ: Float64Array.from([20, 15, 22, 1]),
    ties: Float64Array.from([5, 5, 5, 0]),
  };
  const theta = fitBradleyTerry(t).params;
  const b = bootstrapBradleyTerry(t, theta, { rounds: 200, rng: createRng(12) });
  assert.ok(b.ridgeRefits > 20, `ridge refits ${b.ridgeRefits}`);
  assert.ok(b.ratings.every((x) => Number.isFinite(x)));
});

test("above 2000 battles (Poisson-and-fill draws) intervals agree with conditional-binomial resampling and full refits", () => {
  const t: PairTable = {
    k: 5,
    i: Int32Array.from([0, 0, 0, 1, 1, 2, 3]),
    j: Int32Array.from([1, 2, 3, 2, 4, 3, 4]),
    winI: Float64Array.from([600, 700, 550, 800, 650, 400, 300]),
    winJ: Float64Array.from([400, 300, 450, 200, 350, 600, 700]),
    ties: Float64Array.from([100, 50, 80, 30, 60, 40, 20]),
  };
  const theta = Float64Array.from(fitBradleyTerry(t).params.subarray(0, t.k));
  const fast = percentileIntervals(bootstrapBradleyTerry(t, theta, { rounds: 800, rng: createRng(1) }), 0.95);
  // Reference: the sequential conditional-binomial multinomial and a full Newton fit per round.
  const m = t.i.length;
  const probs = new Float64Array(3 * m);
  let total = 0;
  for (let r = 0; r < m; r++) {
    probs.set([t.winI[r]!, t.winJ[r]!, t.ties[r]!], 3 * r);
    total += t.winI[r]! + t.winJ[r]! + t.ties[r]!;
  }
  const u = new FastUniform(createRng(2));
  const cells = new Float64Array(3 * m);
  const samples: number[][] = Array.from({ length: t.k }, () => []);
  for (let round = 0; round < 800; round++) {
    sampleMultinomial(total, probs, cells, u);
    const rt: PairTable = {
      ...t,
      winI: Float64Array.from({ length: m }, (_, r) => cells[3 * r]!),
      winJ: Float64Array.from({ length: m }, (_, r) => cells[3 * r + 1]!),
      ties: Float64Array.from({ length: m }, (_, r) => cells[3 * r + 2]!),
    };
    const rr = toRatings(fitBradleyTerry(rt).params, t.k);
    for (let a = 0; a < t.k; a++) samples[a]!.push(rr[a]!);
  }
  for (let a = 0; a < t.k; a++) {
    const s = Float64Array.from(samples[a]!).sort();
    const refWidth = percentileSorted(s, 0.975) - percentileSorted(s, 0.025);
    const width = fast[a]!.upper - fast[a]!.lower;
    assert.ok(Math.abs(width / refWidth - 1) < 0.15, `model ${a}: width ${width} vs reference ${refWidth}`);
  }
});
