import assert from "node:assert/strict";
import { test } from "node:test";
import { lengthBiasedStore } from "../../test/support/length-biased-votes.ts";
import { styleControlledRatings } from "./style-ratings.ts";

test("style control: a length-favouring judge inflates the raw rating, the controlled one removes it", async () => {
  const store = await lengthBiasedStore();
  const r = await styleControlledRatings(store, { query: { sources: ["judge:s"] }, bootstrap: 30, seed: 1 });
  assert.ok(r.converged);
  assert.equal(r.battles, 1200);
  const by = new Map(r.models.map((m) => [m.model, m]));
  const long = by.get("long")!;
  const short = by.get("short")!;
  const best = by.get("best")!;
  assert.ok(long.rawRating - short.rawRating > 60, `raw gap ${long.rawRating - short.rawRating}`);
  assert.ok(Math.abs(long.rating - short.rating) < 45, `controlled gap ${long.rating - short.rating}`);
  assert.ok(best.rating > long.rating && best.rating > short.rating);
  assert.ok(r.coefficients[0]!.feature === "tokens" && r.coefficients[0]!.beta > 0.3);
  assert.ok(long.lower < long.rating && long.rating < long.upper);
  await store.close();
});
