/**
 * Runs a Bradley-Terry bootstrap on several threads and waits for it synchronously, so `rankCounts` stays a
 * plain function. Every round draws from its own seeded stream (`stats/bootstrap.ts`), so the ratings are the
 * same for any number of threads; threads only change how long it takes.
 *
 * The calling thread runs the first share of the rounds itself while each worker runs another share into a
 * SharedArrayBuffer; it then blocks on an Atomics flag per worker. A worker that has not started within
 * START_TIMEOUT_MS (a loader that cannot start workers, say), or that fails, is terminated and its share run
 * here, so a run never hangs on a thread and never loses rounds.
 */
import { availableParallelism } from "node:os";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type BootstrapJob, type BootstrapPart, bootstrapRounds } from "../stats/bootstrap.ts";

const START_TIMEOUT_MS = 10_000;

/**
 * Status words shared with a worker: state (0 new, 1 running, 2 done, 3 failed), refit counts, chord steps,
 * and rounds done (a heartbeat: a worker that makes no progress for STALL_MS is given up on).
 */
export const STATE = 0;
export const NEWTON = 1;
export const RIDGE = 2;
export const STEPS = 3;
export const DONE = 4;
const WORDS = 5;
const STALL_MS = 30_000;

export interface WorkerInput {
  job: BootstrapJob;
  from: number;
  to: number;
  ratings: SharedArrayBuffer;
  status: SharedArrayBuffer;
}

/**
 * Threads worth using for `rounds` rounds over `pairs` pairs: one below about 2 million pair-rounds (a
 * worker's start-up would cost more than it saves), else up to the machine's parallelism (at most 4).
 * Under the TypeScript loader (tests, `npm start` before the build) a worker takes most of a second to start,
 * so only much larger jobs use one there.
 */
export function bootstrapThreads(rounds: number, pairs: number): number {
  const work = rounds * pairs;
  const compiled = extname(fileURLToPath(import.meta.url)) === ".js";
  if (work < (compiled ? 2_000_000 : 50_000_000)) return 1;
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** `workerShares`: how many shares workers delivered (the rest ran on the calling thread). */
export function bootstrapParallel(
  job: BootstrapJob,
  rounds: number,
  threads: number,
): BootstrapPart & { workerShares: number } {
  const k = job.table.k;
  const n = Math.max(1, Math.min(threads, rounds));
  if (n === 1) return { ...bootstrapRounds(job, 0, rounds), workerShares: 0 };
  const bounds = Array.from({ length: n + 1 }, (_, t) => Math.round((t * rounds) / n));
  const workers: Array<{ worker: Worker; input: WorkerInput; status: Int32Array }> = [];
  for (let t = 1; t < n; t++) {
    const input: WorkerInput = {
      job,
      from: bounds[t] as number,
      to: bounds[t + 1] as number,
      ratings: new SharedArrayBuffer(((bounds[t + 1] as number) - (bounds[t] as number)) * k * 8),
      status: new SharedArrayBuffer(4 * WORDS),
    };
    workers.push({ worker: startWorker(input), input, status: new Int32Array(input.status) });
  }
  const own = bootstrapRounds(job, 0, bounds[1] as number);
  const ratings = new Float64Array(rounds * k);
  ratings.set(own.ratings, 0);
  let { newtonRefits, ridgeRefits, chordSteps } = own;
  let workerShares = 0;
  for (const w of workers) {
    let part: BootstrapPart | undefined;
    if (Atomics.load(w.status, STATE) === 0) Atomics.wait(w.status, STATE, 0, START_TIMEOUT_MS);
    let seen = -1;
    while (Atomics.load(w.status, STATE) === 1) {
      // A worker that died without a word (out of memory, say) stops its heartbeat: stop waiting for it.
      const done = Atomics.load(w.status, DONE);
      if (done === seen) break;
      seen = done;
      Atomics.wait(w.status, STATE, 1, STALL_MS);
    }
    if (Atomics.load(w.status, STATE) === 2) {
      part = {
        ratings: new Float64Array(w.input.ratings),
        newtonRefits: Atomics.load(w.status, NEWTON),
        ridgeRefits: Atomics.load(w.status, RIDGE),
        chordSteps: Atomics.load(w.status, STEPS),
      };
      workerShares++;
    }
    void w.worker.terminate();
    // Not started in time, or failed: run its share here (same streams, so the same numbers).
    part ??= bootstrapRounds(job, w.input.from, w.input.to);
    ratings.set(part.ratings, w.input.from * k);
    newtonRefits += part.newtonRefits;
    ridgeRefits += part.ridgeRefits;
    chordSteps += part.chordSteps;
  }
  return { ratings, newtonRefits, ridgeRefits, chordSteps, workerShares };
}

function startWorker(input: WorkerInput): Worker {
  const here = import.meta.url;
  const ext = extname(fileURLToPath(here));
  const script = new URL(`./bootstrap-worker${ext}`, here);
  let worker: Worker;
  if (ext === ".ts") {
    // Under the TypeScript loader, the worker registers it before importing the worker module.
    const loader = import.meta.resolve("tsx/esm/api");
    const code = `import(${JSON.stringify(loader)}).then((m) => { m.register(); return import(${JSON.stringify(script.href)}); });`;
    worker = new Worker(code, { eval: true, workerData: input, execArgv: [] });
  } else {
    worker = new Worker(script, { workerData: input });
  }
  // The waiting side reads only the status words (it is blocked, so it cannot take events); a load failure
  // leaves the state at 0 and the share is run there after START_TIMEOUT_MS.
  worker.on("error", () => {});
  worker.unref();
  return worker;
}
