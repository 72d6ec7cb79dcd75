import assert from "node:assert/strict";
import { test } from "node:test";
import { createRng } from "../core/rng.ts";
import { PairLoads } from "./pair-loads.ts";

/** The scan that PairLoads replaces: the unseen items of least load, in item order, one of them by `pick`. */
function scan(ids: number[], load: Map<number, number>, seen: Set<number>, pick: (n: number) => number) {
  let best: number[] = [];
  let bestLoad = Number.POSITIVE_INFINITY;
  for (const id of ids) {
    if (seen.has(id)) continue;
    const l = load.get(id) ?? 0;
    if (l < bestLoad) {
      bestLoad = l;
      best = [id];
    } else if (l === bestLoad) best.push(id);
  }
  return best.length > 0 ? best[pick(best.length)] : undefined;
}

test("PairLoads picks what a scan of every item picks, through random assignments, refusals and labelers", () => {
  const rng = createRng(7);
  for (let trial = 0; trial < 20; trial++) {
    // Ids out of numeric order, as a campaign's items of one pair are among the others'.
    const ids = Array.from({ length: 1 + rng.int(40) }, (_, i) => 1000 - 7 * i + (i % 3));
    const load = new Map(ids.map((id) => [id, rng.int(3)]));
    const loads = new PairLoads(ids, (id) => load.get(id) ?? 0);
    for (let step = 0; step < 300; step++) {
      // A labeler who has seen a few items of this pair and some of others (which must not count).
      const seen = new Set<number>([5, 6]);
      const k = rng.int(Math.min(ids.length, 6) + 1);
      for (let i = 0; i < k; i++) seen.add(ids[rng.int(ids.length)] as number);
      if (step % 50 === 0) for (const id of ids) seen.add(id); // every item seen: nothing to give
      const r = rng.next();
      const want = scan(ids, load, seen, (n) => Math.floor(r * n));
      const got = loads.leastLoaded(seen, (n) => Math.floor(r * n));
      assert.equal(got, want, `trial ${trial} step ${step}`);
      if (got === undefined) continue;
      load.set(got, (load.get(got) ?? 0) + 1);
      loads.add(got, 1);
      if (rng.next() < 0.2) {
        // The store refused the proposal: its count is taken back.
        load.set(got, (load.get(got) ?? 0) - 1);
        loads.add(got, -1);
      }
    }
  }
});

test("PairLoads calls pick once, with the number of candidates, and ignores ids of other pairs", () => {
  const loads = new PairLoads([3, 1, 2], (id) => (id === 2 ? 1 : 0));
  const asked: number[] = [];
  assert.equal(
    loads.leastLoaded(new Set([3, 99]), (n) => {
      asked.push(n);
      return 0;
    }),
    1,
  );
  assert.deepEqual(asked, [1]);
  loads.add(99, 1); // not of this pair: nothing happens
  loads.add(1, 2);
  assert.equal(
    loads.leastLoaded(new Set([3]), () => 0),
    2,
  );
});
