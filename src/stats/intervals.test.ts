import assert from "node:assert/strict";
import { test } from "node:test";
import { createRng } from "../core/rng.ts";
import { ranksFromIntervals } from "./intervals.ts";

test("ranks by binary search equal the definition (count of lower bounds strictly above the upper bound)", () => {
  const rng = createRng(7);
  for (let round = 0; round < 50; round++) {
    const n = 1 + rng.int(60);
    // Integer bounds on a narrow range, so that equal bounds (not strictly above) are common.
    const items = Array.from({ length: n }, () => {
      const estimate = rng.int(40);
      return { estimate, lower: estimate - rng.int(6), upper: estimate + rng.int(6) };
    });
    if (round % 10 === 0) items.push({ estimate: 5, lower: Number.NaN, upper: Number.NaN });
    const definition = items.map((me) => 1 + items.filter((other) => other.lower > me.upper).length);
    assert.deepEqual(ranksFromIntervals(items), definition);
  }
});
