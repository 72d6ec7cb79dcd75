/** Worker entry of `bootstrap-threads.ts`: runs one share of the bootstrap rounds into shared memory. */
import { workerData } from "node:worker_threads";
import { bootstrapRounds } from "../stats/bootstrap.ts";
import { DONE, NEWTON, RIDGE, STATE, STEPS, type WorkerInput } from "./bootstrap-threads.ts";

const input = workerData as WorkerInput;
const status = new Int32Array(input.status);
Atomics.store(status, STATE, 1);
Atomics.notify(status, STATE);
try {
  const part = bootstrapRounds(input.job, input.from, input.to, () => Atomics.add(status, DONE, 1));
  new Float64Array(input.ratings).set(part.ratings);
  Atomics.store(status, NEWTON, part.newtonRefits);
  Atomics.store(status, RIDGE, part.ridgeRefits);
  Atomics.store(status, STEPS, part.chordSteps);
  Atomics.store(status, STATE, 2);
} catch {
  Atomics.store(status, STATE, 3);
}
Atomics.notify(status, STATE);
