import assert from "node:assert/strict";
import { test } from "node:test";
import { createRng } from "../core/rng.ts";
import { bootstrapJob, bootstrapRounds } from "../stats/bootstrap.ts";
import { fitBradleyTerry, type PairTable } from "../stats/bradley-terry.ts";
import { bootstrapParallel, keptWorkers } from "./bootstrap-threads.ts";

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

test("workers kept from one call run the next call's job (another job, another split), same as one thread", () => {
  const t = table();
  const theta = Float64Array.from(fitBradleyTerry(t).params.subarray(0, t.k));
  const before = keptWorkers();
  const jobA = bootstrapJob(t, theta, { rounds: 40, rng: createRng(7) });
  const a = bootstrapParallel(jobA, 40, 3);
  assert.equal(a.workerShares, 2);
  assert.equal(keptWorkers(), Math.max(before, 2), "the two workers wait for the next call");
  const jobB = bootstrapJob(t, theta, { rounds: 50, rng: createRng(8), ridge: 0.5 });
  const b = bootstrapParallel(jobB, 50, 2);
  assert.equal(b.workerShares, 1);
  assert.equal(keptWorkers(), Math.max(before, 2), "a kept worker was used, none started");
  assert.deepEqual(b.ratings, bootstrapRounds(jobB, 0, 50).ratings);
  assert.deepEqual(a.ratings, bootstrapRounds(jobA, 0, 40).ratings);
});
