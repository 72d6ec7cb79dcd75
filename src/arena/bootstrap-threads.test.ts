import assert from "node:assert/strict";
import { test } from "node:test";
import { createRng } from "../core/rng.ts";
import { bootstrapJob, bootstrapRounds } from "../stats/bootstrap.ts";
import { fitBradleyTerry, type PairTable } from "../stats/bradley-terry.ts";
import { bootstrapParallel } from "./bootstrap-threads.ts";

function table(): PairTable {
  // Large enough (N > 2000) for the Poisson-and-fill sampler.
  return {
    k: 5,
    i: Int32Array.from([0, 0, 0, 1, 1, 2, 3]),
    j: Int32Array.from([1, 2, 3, 2, 4, 3, 4]),
    winI: Float64Array.from([600, 700, 550, 800, 650, 400, 300]),
    winJ: Float64Array.from([400, 300, 450, 200, 350, 600, 700]),
    ties: Float64Array.from([100, 50, 80, 30, 60, 40, 20]),
  };
}

test("a bootstrap on worker threads gives exactly the single-thread ratings", () => {
  const t = table();
  const theta = Float64Array.from(fitBradleyTerry(t).params.subarray(0, t.k));
  const job = bootstrapJob(t, theta, { rounds: 60, rng: createRng(4) });
  const one = bootstrapRounds(job, 0, 60);
  const three = bootstrapParallel(job, 60, 3);
  assert.equal(three.workerShares, 2, "both workers delivered their share");
  assert.deepEqual(three.ratings, one.ratings);
  assert.equal(three.chordSteps, one.chordSteps);
  // Any split of the rounds reproduces the same rows.
  const tail = bootstrapRounds(job, 45, 60);
  assert.deepEqual(tail.ratings, one.ratings.subarray(45 * t.k));
});
