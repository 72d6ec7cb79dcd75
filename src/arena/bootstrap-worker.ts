/**
 * Worker entry of `bootstrap-threads.ts`: runs its share of the bootstrap rounds, front first, into shared memory.
 * The share comes as workerData, or as a message (a worker started ahead of its job, or kept from an earlier one).
 */
import { parentPort, workerData } from "node:worker_threads";
import { bootstrapRunner } from "../stats/bootstrap.ts";
import { CLAIMED, DONE, runClaimed, STATE, type WorkerInput } from "./bootstrap-threads.ts";

function runShare(input: WorkerInput): void {
  const status = new Int32Array(input.status);
  const flags = new Int32Array(input.flags);
  const ratings = new Float64Array(input.ratings);
  const info = new Int32Array(input.info);
  try {
    const run = bootstrapRunner(input.job);
    const k = input.job.table.k;
    let round = input.from;
    // The first round is claimed before the state says running, so a started worker always delivers one.
    if (round < input.to && Atomics.compareExchange(flags, round, 0, CLAIMED) === 0) {
      Atomics.store(status, STATE, 1);
      Atomics.notify(status, STATE);
      for (; round < input.to; round++) {
        if (round > input.from && Atomics.compareExchange(flags, round, 0, CLAIMED) !== 0) break;
        runClaimed(run, round, k, ratings, flags, info);
        Atomics.add(status, DONE, 1);
      }
    }
    Atomics.store(status, STATE, 2);
  } catch {
    Atomics.store(status, STATE, 3);
  }
  Atomics.notify(status, STATE);
}

// Then (or first, when started ahead of its job) each share posted to it: a worker is kept between calls.
if (workerData) runShare(workerData as WorkerInput);
parentPort?.on("message", (input: WorkerInput) => runShare(input));
