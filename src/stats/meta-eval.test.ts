import assert from "node:assert/strict";
import { test } from "node:test";
import type { Rng } from "../core/rng.ts";
import { createRng } from "../core/rng.ts";
import { kendallTauB, spearman } from "./agreement.ts";
import { benchbenchAgreement, drawSubset, meanWinRateAggregate, winRates } from "./benchbench.ts";
import {
  agreementWithCi,
  bootstrapCorrelation,
  pairRankBrier,
  rankProbability,
  type ScoreInterval,
  separability,
} from "./meta-eval.ts";

const iv = (lower: number, upper: number, estimate = (lower + upper) / 2): ScoreInterval => ({
  estimate,
  lower,
  upper,
});
const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tolerance ${tol})`);

/** An Rng that replays fixed uniforms (for checking the subset and resampling rules by hand). */
function replay(us: number[]): Rng {
  let i = 0;
  const next = () => {
    const u = us[i++];
    if (u === undefined) throw new Error("replay: out of numbers");
    return u;
  };
  return { next, int: (n) => Math.floor(next() * n), normal: () => 0 };
}

test("separability by hand: two of three pairs do not overlap", () => {
  // a [10,12] and b [11,13] overlap; c [14,15] is above both.
  const s = separability([iv(10, 12), iv(11, 13), iv(14, 15)]);
  assert.deepEqual(s, { separated: 2, pairs: 3, share: 2 / 3 });
  // Touching intervals overlap (strict inequality, as the arena's rank rule).
  assert.equal(separability([iv(0, 1), iv(1, 2)]).share, 0);
});

test("agreement with CI by hand: +1, -1 and 0 over the pairs the reference separates", () => {
  // Reference: a < b < c, all separated. Signal: a surely above b (opposite), c overlaps a (not separated),
  // c surely above b (same). Score = (1 - 1) / 3 = 0.
  const ref = [iv(0, 1), iv(2, 3), iv(4, 5)];
  const sig = [iv(10, 11), iv(5, 6), iv(10.5, 12)];
  assert.deepEqual(agreementWithCi(sig, ref), { score: 0, pairs: 3, same: 1, opposite: 1, unseparated: 1 });
  // Pairs the reference does not separate do not count.
  const vague = [iv(0, 10), iv(1, 11), iv(20, 21)];
  const r = agreementWithCi([iv(0, 1), iv(2, 3), iv(4, 5)], vague);
  assert.deepEqual(r, { score: 1, pairs: 2, same: 2, opposite: 0, unseparated: 0 });
  assert.ok(Number.isNaN(agreementWithCi([iv(0, 1)], [iv(0, 1)]).score));
});

test("pair-rank Brier score by hand", () => {
  // Signal a = 0 +- 1.96 (se 1), b = 1 +- 1.96 (se 1): P(b above a) = Phi(1 / sqrt(2)) = 0.760250.
  const a = iv(-1.959964, 1.959964, 0);
  const b = iv(1 - 1.959964, 1 + 1.959964, 1);
  close(rankProbability(b, a), 0.7602499389065233, 2e-7, "P(b above a)");
  // Reference says b > a: Brier (1 - 0.760250)^2 = 0.057480; says a > b: 0.760250^2 = 0.577980.
  close(pairRankBrier([a, b], [iv(0, 1), iv(2, 3)]).brier, 0.05748009179432583, 1e-6, "brier, right way");
  close(pairRankBrier([a, b], [iv(2, 3), iv(0, 1)]).brier, 0.7602499389065233 ** 2, 1e-6, "brier, wrong way");
  // A signal without intervals forecasts 1, 0 or 1/2.
  assert.equal(pairRankBrier([iv(1, 1), iv(2, 2)], [iv(0, 1), iv(2, 3)]).brier, 0);
  assert.equal(pairRankBrier([iv(2, 2), iv(1, 1)], [iv(0, 1), iv(2, 3)]).brier, 1);
  assert.equal(pairRankBrier([iv(1, 1), iv(1, 1)], [iv(0, 1), iv(2, 3)]).brier, 0.25);
});

test("bootstrap correlation: resampling rule by hand, and a seeded interval", () => {
  // One round, n = 4, uniforms 0.1, 0.3, 0.6, 0.9 pick models 0, 1, 2, 3: the resample is the data itself.
  const x = [1, 2, 3, 4];
  const y = [1, 3, 2, 4];
  const one = bootstrapCorrelation(x, y, kendallTauB, 1, replay([0.1, 0.3, 0.6, 0.9]));
  close(one.estimate, 4 / 6, 1e-15, "tau of the data");
  assert.equal(one.lower, one.estimate);
  // Uniforms 0, 0, 0, 0 pick model 0 four times: tau is undefined and the round is left out.
  const none = bootstrapCorrelation(x, y, kendallTauB, 1, replay([0, 0, 0, 0]));
  assert.equal(none.undefinedRounds, 1);
  assert.ok(Number.isNaN(none.lower));
  // A perfectly concordant ranking stays at 1 in every resample; the same seed gives the same interval.
  const rng = () => createRng(5);
  const xs = Array.from({ length: 12 }, (_, i) => i);
  const perfect = bootstrapCorrelation(
    xs,
    xs.map((v) => 2 * v + 1),
    spearman,
    300,
    rng(),
  );
  assert.deepEqual([perfect.estimate, perfect.lower, perfect.upper], [1, 1, 1]);
  const noisy = xs.map((v, i) => v + (i % 3) * 4);
  const b1 = bootstrapCorrelation(xs, noisy, kendallTauB, 300, rng());
  const b2 = bootstrapCorrelation(xs, noisy, kendallTauB, 300, rng());
  assert.deepEqual(b1, b2);
  assert.ok(b1.lower < b1.estimate && b1.estimate < b1.upper);
});

test("BenchBench win rates and leave-one-out aggregate by hand", () => {
  // [3, 1, 2, -]: 3 beats both others (1), 1 beats none (0), 2 beats one of two (0.5).
  assert.deepEqual([...winRates([3, 1, 2, Number.NaN])].slice(0, 3), [1, 0, 0.5]);
  assert.ok(Number.isNaN(winRates([3, 1, 2, Number.NaN])[3] as number));
  // Ties win nothing against each other.
  assert.deepEqual([...winRates([1, 1, 2])], [0, 0, 1]);
  // Leave signal 0 out: s1 win rates [0, .5, 1], s2 [.5, 1, 0] -> aggregate [.25, .75, .5].
  const m = [Float64Array.from([3, 1, 2]), Float64Array.from([1, 2, 3]), Float64Array.from([2, 3, 1])];
  assert.deepEqual([...meanWinRateAggregate(m, 0, 1)], [0.25, 0.75, 0.5]);
  // A model covered by fewer than minSignals of the others is left out.
  const holes = [Float64Array.from([3, 1, 2]), Float64Array.from([1, 2, Number.NaN]), Float64Array.from([2, 3, 1])];
  const agg = meanWinRateAggregate(holes, 0, 2);
  assert.ok(Number.isNaN(agg[2] as number));
});

test("BenchBench subsets by hand: random (partial Fisher-Yates) and adjacent windows", () => {
  const shared = [0, 1, 2, 3, 4, 5];
  const row = Float64Array.from([1, 6, 5, 4, 3, 2]);
  const agg = Float64Array.from([0.9, 0.1, 0.2, 0.3, 0.4, 0.5]);
  // random: 0.5 -> position 0 swaps with 0 + floor(0.5 * 6) = 3; then 0, 0, 0, 0 keep positions 1..4.
  assert.deepEqual(drawSubset("random", shared, 5, row, agg, replay([0.5, 0, 0, 0, 0])), [3, 1, 2, 0, 4]);
  // 0.99 at step 1 swaps position 1 with 1 + floor(0.99 * 5) = 5.
  assert.deepEqual(drawSubset("random", shared, 2, row, agg, replay([0, 0.99])), [0, 5]);
  // adjacent: 0.2 -> order by the signal (1, 2, 3, 4, 5, 0 from high to low), 0.9 -> start floor(0.9 * 2) = 1.
  assert.deepEqual(drawSubset("adjacent", shared, 5, row, agg, replay([0.2, 0.9])), [2, 3, 4, 5, 0]);
  // 0.7 -> order by the aggregate (0, 5, 4, 3, 2, 1), 0 -> start 0.
  assert.deepEqual(drawSubset("adjacent", shared, 3, row, agg, replay([0.7, 0])), [0, 5, 4]);
  // Every (strategy, size, repetition) gets its own generator, in this order.
  const m = [row, Float64Array.from([1, 6, 5, 4, 3, 2]), Float64Array.from([2, 6, 5, 4, 3, 1])];
  const seen: string[] = [];
  benchbenchAgreement(m, {
    sizes: [5],
    repetitions: 2,
    rngFor: (strategy, size, rep) => {
      seen.push(`${strategy}/${size}/${rep}`);
      return createRng(rep);
    },
  });
  assert.deepEqual(seen.slice(0, 4), ["random/5/0", "random/5/1", "adjacent/5/0", "adjacent/5/1"]);
});

test("BenchBench z-scores single out a reversed benchmark", () => {
  // Five benchmarks track one truth with noise; the sixth ranks the models in reverse.
  const rng = createRng(11);
  const truth = Array.from({ length: 16 }, (_, i) => i);
  const m = Array.from({ length: 6 }, (_, s) => Float64Array.from(truth, (t) => (s === 5 ? -t : t) + 3 * rng.normal()));
  const seeds = (strategy: string, size: number, rep: number) =>
    createRng(size * 100 + rep * 2 + (strategy === "adjacent" ? 1 : 0));
  const r = benchbenchAgreement(m, { rngFor: seeds });
  assert.equal(r.length, 6);
  for (const s of r.slice(0, 5)) assert.ok(s.meanTau > 0.3 && s.z > 0, JSON.stringify(s));
  assert.ok((r[5]?.meanTau ?? 0) < -0.3, JSON.stringify(r[5]));
  assert.ok((r[5]?.z ?? 0) < -1.5, JSON.stringify(r[5]));
  // 2 strategies x sizes 5 and 10 (20 > 16 models) x 10 repetitions.
  assert.equal(r[0]?.subsets, 40);
  assert.deepEqual(benchbenchAgreement(m, { rngFor: seeds }), r);
});
