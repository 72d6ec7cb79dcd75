import assert from "node:assert/strict";
import { test } from "node:test";
import { createRng } from "../core/rng.ts";
import {
  auc,
  exchangeabilityTest,
  kendallTau,
  minKPlusPlus,
  minKProb,
  ngramOverlap,
  ngrams,
  ngramWords,
  shardIndices,
  spread,
  studentTUpper,
  zlibScore,
} from "./contamination.ts";

test("AUC: perfect, reversed, ties and a hand-counted case", () => {
  assert.equal(auc([3, 4], [1, 2]), 1);
  assert.equal(auc([1, 2], [3, 4]), 0);
  assert.equal(auc([1, 1], [1, 1]), 0.5);
  // pairs (seen > unseen): 2>1 yes, 2>3 no, 5>1 yes, 5>3 yes -> 3/4
  assert.equal(auc([2, 5], [1, 3]), 0.75);
  assert.ok(Number.isNaN(auc([], [1])));
});

test("Min-K%: mean of the lowest 20% of tokens; Min-K%++ standardizes by the distribution", () => {
  const lp = [-1, -2, -3, -4, -5, -6, -7, -8, -9, -10];
  assert.equal(minKProb(lp, 0.2), -9.5);
  const stats = lp.map(() => ({ mean: -5, variance: 4 }));
  assert.equal(minKPlusPlus(lp, stats, 0.2), (-2 + -2.5) / 2);
  assert.equal(minKProb([-3], 0.2), -3); // at least one token
  assert.throws(() => minKPlusPlus([-1, -2], [{ mean: 0, variance: 1 }]));
});

test("Student t upper tail matches tabulated values", () => {
  assert.ok(Math.abs(studentTUpper(2.262, 9) - 0.025) < 5e-4);
  assert.ok(Math.abs(studentTUpper(0, 5) - 0.5) < 1e-12);
  assert.ok(Math.abs(studentTUpper(-1.812, 10) - 0.95) < 5e-4);
});

test("exchangeability: canonical clearly best gives a small p; exchangeable data does not", () => {
  const rng = createRng(3);
  const shuffled = Array.from({ length: 10 }, () => Array.from({ length: 20 }, () => -100 + rng.normal()));
  const better = exchangeabilityTest(
    shuffled.map(() => -95 + rng.normal() * 0.5),
    shuffled,
  );
  assert.ok(better.pValue < 1e-6, `p=${better.pValue}`);
  assert.equal(better.permutationPValue, 1 / 21);
  // Null: canonical is one more draw of the same distribution; over many seeds p is about uniform.
  let small = 0;
  for (let s = 0; s < 200; s++) {
    const r = createRng(100 + s);
    const sh = Array.from({ length: 8 }, () => Array.from({ length: 10 }, () => r.normal()));
    if (
      exchangeabilityTest(
        sh.map(() => r.normal()),
        sh,
      ).pValue < 0.05
    )
      small++;
  }
  assert.ok(small >= 2 && small <= 25, `null rejections at 5%: ${small}/200`);
});

test("shards are contiguous and cover every item once", () => {
  const s = shardIndices(10, 3);
  assert.deepEqual(s, [
    [0, 1, 2],
    [3, 4, 5],
    [6, 7, 8, 9],
  ]);
  assert.equal(shardIndices(2, 5).length, 2);
});

test("13-gram overlap: normalized words, partial overlap, short items matched whole", () => {
  const words = ngramWords("The Quick, brown fox! jumps");
  assert.deepEqual(words, ["the", "quick", "brown", "fox", "jumps"]);
  const doc = "a b c d e f g h i j k l m n o p";
  const corpus = new Set(ngrams(ngramWords(doc), 13));
  const [full, half, none] = ngramOverlap(
    ["A b c d e f g h i j k l m", "x y z a b c d e f g h i j k l m", "q r s t u v w x y z q r s"],
    corpus,
  );
  assert.equal(full, 1);
  assert.equal(half, 1 / 4);
  assert.equal(none, 0);
  assert.deepEqual(ngramOverlap(["short one"], new Set(["short:short one"])), [1]);
});

test("Kendall tau-b and spread", () => {
  assert.equal(kendallTau([1, 2, 3], [10, 20, 30]), 1);
  assert.equal(kendallTau([1, 2, 3], [30, 20, 10]), -1);
  assert.ok(Math.abs(kendallTau([1, 2, 3, 4], [1, 3, 2, 4]) - 4 / 6) < 1e-12);
  const s = spread([1, 2, 3]);
  assert.deepEqual([s.min, s.max, s.sd], [1, 3, 1]);
});

test("zlib score: repetitive text compresses, so the same loss scores lower", () => {
  const rep = "abab".repeat(50);
  const rnd = Array.from({ length: 200 }, (_, i) => String.fromCharCode(97 + ((i * 7919) % 26))).join("");
  assert.ok(zlibScore(-100, rep) < zlibScore(-100, rnd));
});
