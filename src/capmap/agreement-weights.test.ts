import assert from "node:assert/strict";
import { test } from "node:test";
import type { CapEvidence } from "../store/capmap.ts";
import { combineCell } from "./build.ts";
import { Z95 } from "./scale.ts";

const ev = (metric: string, scaled: number, lo: number, hi: number): CapEvidence => ({
  modelId: "m",
  source: "s",
  kind: "benchmark",
  metric,
  category: "c",
  value: scaled,
  scaled,
  scaledLo: lo,
  scaledHi: hi,
});

test("agreement-weighted cell by hand: weights 1 and 0.5, and weight 0 drops a piece", () => {
  const a = ev("a", 60, 50, 70);
  const b = ev("b", 40, 30, 50);
  const s = 10 / Z95; // each piece's standard error
  // estimate = (1 * 60 + 0.5 * 40) / 1.5 = 53.33; se = sqrt(1 * s^2 + 0.25 * s^2) / 1.5
  const c = combineCell([a, b], (e) => (e.metric === "a" ? 1 : 0.5));
  assert.ok(Math.abs(c.estimate - 80 / 1.5) < 1e-12);
  const se = (s * Math.sqrt(1.25)) / 1.5;
  assert.ok(Math.abs(c.hi - (80 / 1.5 + Z95 * se)) < 1e-9);
  assert.equal(c.evidence, 2);
  // Weights of 1 are the plain cell, bit for bit.
  assert.deepEqual(
    combineCell([a, b], () => 1),
    combineCell([a, b]),
  );
  const only = combineCell([a, b], (e) => (e.metric === "a" ? 0.7 : 0));
  // A single piece keeps its own value and interval, whatever its weight (up to rounding of w * x / w).
  for (const [got, want] of [
    [only.estimate, 60],
    [only.lo, 50],
    [only.hi, 70],
  ] as const)
    assert.ok(Math.abs(got - want) < 1e-9, `${got} vs ${want}`);
  assert.equal(only.evidence, 1);
  assert.throws(() => combineCell([a], () => 0), /positive weight/);
});
