import assert from "node:assert/strict";
import { test } from "node:test";
import { lcsIndices, rougeScore, summaryLevelLcs, unionLcs } from "./rouge.ts";

// Published values: rouge_score's own tests (rouge_scorer_test.py, google-research/rouge).
test("ROUGE-1, ROUGE-2, ROUGE-L, ROUGE-Lsum: rouge_score's published test values", () => {
  assert.deepEqual(rougeScore(["rouge1"], "testing one two", "testing").rouge1, {
    precision: 1,
    recall: 1 / 3,
    fmeasure: 1 / 2,
  });
  assert.deepEqual(rougeScore(["rouge2"], "testing one two", "testing one").rouge2, {
    precision: 1,
    recall: 1 / 2,
    fmeasure: 2 / 3,
  });
  for (const t of ["rouge1", "rouge2", "rougeL", "rougeLsum"] as const) {
    assert.deepEqual(rougeScore([t], "testing one two", "")[t], { precision: 0, recall: 0, fmeasure: 0 }, t);
  }
  const l = rougeScore(["rougeL"], "testing one two", "testing two").rougeL;
  assert.deepEqual([l?.precision, l?.recall], [1, 2 / 3]);
  assert.ok(Math.abs((l?.fmeasure as number) - 4 / 5) < 1e-15);
  const s = rougeScore(["rougeLsum"], "w1 w2 w3 w4 w5", "w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5").rougeLsum;
  assert.deepEqual([s?.recall, s?.precision], [0.8, 0.4]);
  assert.equal(s?.fmeasure, 0.5333333333333333);
  assert.equal(rougeScore(["rougeLsum"], "w1 w2 w3 w4 w5", "/").rougeLsum?.fmeasure, 0);
  assert.throws(() => rougeScore(["rouge10" as "rouge1"], "a", "a"), /Invalid rouge type/);
});

test("LCS helpers: rouge_score's published test values", () => {
  const ref = ["1", "2", "3", "4", "5"];
  assert.deepEqual(lcsIndices(ref, ["2", "5", "3", "4"]), [1, 2, 3]);
  assert.deepEqual(lcsIndices(ref, ["8", "9"]), []);
  assert.deepEqual(
    unionLcs(ref, [
      ["1", "2", "6", "7", "8"],
      ["1", "3", "8", "9", "5"],
    ]),
    ["1", "2", "3", "5"],
  );
  const sc = summaryLevelLcs(
    [ref],
    [
      ["1", "2", "6", "7", "8"],
      ["1", "3", "8", "9", "5"],
    ],
  );
  assert.deepEqual([sc.recall, sc.precision], [0.8, 0.4]);
  assert.equal(summaryLevelLcs([["reference"]], [[]]).recall, 0);
});
