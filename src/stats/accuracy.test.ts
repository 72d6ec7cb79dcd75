import assert from "node:assert/strict";
import { test } from "node:test";
import { aggregateGroup, MeanAccumulator, meanStderr, normalizedScore } from "./accuracy.ts";

test("stderr is the sample sd (n-1) over sqrt(n), streamed", () => {
  const xs = [1, 0, 1, 1, 0, 1, 0, 1];
  const acc = new MeanAccumulator();
  for (const x of xs) acc.add(x);
  // mean 5/8; sample variance = (5*(3/8)^2 + 3*(5/8)^2)/7 = 0.267857...
  const sd = Math.sqrt((5 * (3 / 8) ** 2 + 3 * (5 / 8) ** 2) / 7);
  assert.ok(Math.abs(acc.stderr - sd / Math.sqrt(8)) < 1e-12);
  assert.ok(Math.abs(meanStderr(xs) - acc.stderr) < 1e-15);
  assert.equal(acc.mean, 0.625);
});

test("normalized score: 0 at chance, 100 at perfect", () => {
  assert.equal(normalizedScore(0.25, 0.25), 0);
  assert.equal(normalizedScore(1, 0.25), 100);
  assert.equal(normalizedScore(0.625, 0.25), 50);
});

test("group aggregates: size-weighted mean over items and plain mean over subtasks", () => {
  const g = aggregateGroup([
    { n: 100, mean: 0.5, stderr: Math.sqrt(0.25 / 100) },
    { n: 300, mean: 0.9, stderr: Math.sqrt(0.09 / 300) },
  ]);
  assert.equal(g.n, 400);
  assert.ok(Math.abs(g.itemMean - 0.8) < 1e-12);
  assert.ok(Math.abs(g.subtaskMean - 0.7) < 1e-12);
  // Pooled over the 400 items as one sample: p = 0.8, var ~ 0.16.
  assert.ok(Math.abs(g.itemStderr - Math.sqrt(0.16 / 400)) < 1e-3);
});
