import assert from "node:assert/strict";
import { test } from "node:test";
import { createRng } from "../core/rng.ts";
import { mcnemar, pairedBootstrap } from "./paired.ts";

test("McNemar: exact binomial for few discordant pairs, chi-square with continuity correction otherwise", () => {
  // 8 discordant: 7 vs 1. Two-sided exact p = 2 * (1 + 8) / 256.
  const a = [1, 1, 1, 1, 1, 1, 1, 0, 1, 0];
  const b = [0, 0, 0, 0, 0, 0, 0, 1, 1, 0];
  const m = mcnemar(a, b);
  assert.equal(m.b, 7);
  assert.equal(m.c, 1);
  assert.equal(m.method, "exact");
  assert.ok(Math.abs(m.pValue - 18 / 256) < 1e-12);
  // 40 vs 20 discordant: statistic (|40-20|-1)^2/60 = 6.0167, p ~ 0.01418.
  const x = [...Array(40).fill(1), ...Array(20).fill(0)];
  const y = [...Array(40).fill(0), ...Array(20).fill(1)];
  const big = mcnemar(x, y);
  assert.equal(big.method, "chi2-cc");
  assert.ok(Math.abs(big.statistic - 361 / 60) < 1e-12);
  assert.ok(Math.abs(big.pValue - 0.014171) < 2e-4, String(big.pValue));
  assert.equal(mcnemar([1, 0], [1, 0]).pValue, 1);
});

test("paired bootstrap: seeded, interval around the observed difference, zero for identical samples", () => {
  const rng = () => createRng(42);
  const a = Array.from({ length: 200 }, (_, i) => (i % 10 < 7 ? 1 : 0));
  const b = Array.from({ length: 200 }, (_, i) => (i % 10 < 5 ? 1 : 0));
  const r1 = pairedBootstrap(a, b, rng(), 1000);
  const r2 = pairedBootstrap(a, b, rng(), 1000);
  assert.deepEqual(r1, r2);
  assert.ok(Math.abs(r1.diff - 0.2) < 1e-12);
  assert.ok(r1.lower > 0.1 && r1.lower < 0.2 && r1.upper > 0.2 && r1.upper < 0.3, JSON.stringify(r1));
  assert.ok(r1.pValue < 0.01);
  const same = pairedBootstrap(a, a, rng(), 200);
  assert.equal(same.lower, 0);
  assert.equal(same.upper, 0);
});
