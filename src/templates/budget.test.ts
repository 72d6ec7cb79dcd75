import assert from "node:assert/strict";
import { test } from "node:test";
import { LimitExceeded, RenderBudget } from "./budget.ts";

test("the budget: steps, sizes before allocation, Python's range", () => {
  const b = new RenderBudget({ maxItems: 10, maxOutputChars: 20, maxSteps: 5 });
  assert.deepEqual(b.range(3), [0, 1, 2]);
  assert.deepEqual(b.range(5, 0, -2), [5, 3, 1]);
  assert.throws(() => b.range(1_000_000_000), LimitExceeded);
  assert.throws(() => b.items(11), /list of 11 items/);
  assert.throws(() => b.check("x".repeat(21)), /string of 21 characters/);
  assert.throws(() => b.repetition([1, 2], 6), /list of 12 items/);
  assert.doesNotThrow(() => b.repetition("ab", -3));
  assert.equal(b.check("ok"), "ok");
  for (let i = 0; i < 5; i++) b.tick();
  assert.throws(() => b.tick(), /more than 5 steps/);
});
