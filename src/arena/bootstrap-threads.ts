/**
 * Runs a Bradley-Terry bootstrap on several threads and waits for it synchronously, so `rankCounts` stays a
 * plain function. Every round draws from its own seeded stream (`stats/bootstrap.ts`), so the ratings are the
 * same for any number of threads; threads only change how long it takes.
 *
 * The calling thread runs the first share of the rounds itself while each worker runs another share into a
 * SharedArrayBuffer. A worker starts tens of milliseconds after the calling thread, so an even split would leave
 * the calling thread idle at the end: once its own share is done it takes rounds from the back of each
 * worker's share while the worker takes them from the front, each round claimed by a compare-and-swap on its
 * own flag, until they meet. A worker that has not started within START_TIMEOUT_MS (a loader that cannot start
 * workers, say), or that fails, is terminated and whatever of its share it did not finish is run here, so a run
 * never hangs on a thread and never loses rounds.
 */
import { availableParallelism } from "node:os";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { newWorker } from "../core/workers.ts";
import {
  type BootstrapJob,
  type BootstrapPart,
  bootstrapRounds,
  bootstrapRunner,
  prepareBootstrap,
} from "../stats/bootstrap.ts";

const START_TIMEOUT_MS = 10_000;

/**
 * Status words shared with a worker: state (0 new, 1 running, 2 done, 3 failed) and rounds done (a heartbeat:
 * a worker that makes no progress for STALL_MS is given up on).
 */
export const STATE = 0;
export const DONE = 1;
const WORDS = 2;
/** Per-round flags: 0 free, CLAIMED by a thread, FINISHED (ratings and info written). */
export const CLAIMED = 1;
export const FINISHED = 2;
const STALL_MS = 30_000;

export interface WorkerInput {
  job: BootstrapJob;
  from: number;
  to: number;
  /** rounds x k ratings, row-major, for all rounds (each thread writes only the rounds it claimed). */
  ratings: SharedArrayBuffer;
  /** Int32 per round: CLAIMED / FINISHED flags. */
  flags: SharedArrayBuffer;
  /** Int32 per round: chord steps, plus 1 << 16 for a Newton refit and 1 << 17 for a prior refit. */
  info: SharedArrayBuffer;
  status: SharedArrayBuffer;
}

/** Runs round `round` into the shared buffers (the caller has claimed it). */
export function runClaimed(
  run: ReturnType<typeof bootstrapRunner>,
  round: number,
  k: number,
  ratings: Float64Array,
  flags: Int32Array,
  info: Int32Array,
): void {
  const r = run(round, ratings, round * k);
  info[round] = r.chordSteps + (r.newtonRefit ? 1 << 16 : 0) + (r.ridgeRefit ? 1 << 17 : 0);
  Atomics.store(flags, round, FINISHED);
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
  jobIn: BootstrapJob,
  rounds: number,
  threads: number,
): BootstrapPart & { workerShares: number } {
  const k = jobIn.table.k;
  const n = Math.max(1, Math.min(threads, rounds));
  if (n === 1) return { ...bootstrapRounds(jobIn, 0, rounds), workerShares: 0 };
  // The inverse information matrix and the sampler's tables once, here: a worker thread computing them again ran
  // that code cold, before its first round.
  const job = prepareBootstrap(jobIn);
  const bounds = Array.from({ length: n + 1 }, (_, t) => Math.round((t * rounds) / n));
  const shared = {
    ratings: new SharedArrayBuffer(rounds * k * 8),
    flags: new SharedArrayBuffer(rounds * 4),
    info: new SharedArrayBuffer(rounds * 4),
  };
  const ratings = new Float64Array(shared.ratings);
  const flags = new Int32Array(shared.flags);
  const info = new Int32Array(shared.info);
  const workers: Array<{ worker: Worker; input: WorkerInput; status: Int32Array }> = [];
  for (let t = 1; t < n; t++) {
    const input: WorkerInput = {
      job,
      from: bounds[t] as number,
      to: bounds[t + 1] as number,
      ...shared,
      status: new SharedArrayBuffer(4 * WORDS),
    };
    const waiting = idle.pop();
    waiting?.postMessage(input);
    workers.push({ worker: waiting ?? startWorker(input), input, status: new Int32Array(input.status) });
  }
  const run = bootstrapRunner(job);
  for (let round = 0; round < (bounds[1] as number); round++) runClaimed(run, round, k, ratings, flags, info);
  let workerShares = 0;
  for (const w of workers) {
    // Take rounds from the back of its share until meeting the worker, started or not; its first round stays
    // its own, so a worker that starts at all delivers one (and one that never does is not waited for long).
    for (let round = w.input.to - 1; round > w.input.from; round--) {
      if (Atomics.compareExchange(flags, round, 0, CLAIMED) !== 0) break;
      runClaimed(run, round, k, ratings, flags, info);
    }
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
      workerShares++;
      // Done and well: kept for the next call, its modules loaded and its code compiled.
      idle.push(w.worker);
    } else void w.worker.terminate();
    // Not started in time, or failed: run here what it did not finish (same streams, so the same numbers).
    for (let round = w.input.from; round < w.input.to; round++)
      if (Atomics.load(flags, round) !== FINISHED) runClaimed(run, round, k, ratings, flags, info);
  }
  let newtonRefits = 0;
  let ridgeRefits = 0;
  let chordSteps = 0;
  for (let round = 0; round < rounds; round++) {
    const x = info[round] as number;
    chordSteps += x & 0xffff;
    if (x & (1 << 16)) newtonRefits++;
    if (x & (1 << 17)) ridgeRefits++;
  }
  return { ratings: Float64Array.from(ratings), newtonRefits, ridgeRefits, chordSteps, workerShares };
}

/**
 * Workers waiting for a share: started ahead of their job, or done with an earlier one (a process that ranks
 * again, as the map's per-category fits and the web UI do, finds them loaded and their code compiled). They wait
 * without holding the process open.
 */
const idle: Worker[] = [];

/** How many workers wait for a share (for tests). */
export function keptWorkers(): number {
  return idle.length;
}

/**
 * Starts one bootstrap worker before its job exists (the `rank` command calls this before it reads the votes), so
 * that its start-up (loading the modules, tens of ms) overlaps the reading and the point fit; the next
 * `bootstrapParallel` posts its first worker share to it. Nothing when one is already waiting.
 * Only for the compiled code and with two or more cores: under the TypeScript loader a worker costs most of a
 * second of CPU to start, which only much larger jobs repay.
 */
export function prestartBootstrapWorker(): void {
  if (idle.length > 0 || availableParallelism() < 2) return;
  if (extname(fileURLToPath(import.meta.url)) !== ".js") return;
  idle.push(startWorker(undefined));
}

/** `input` undefined: the worker waits for its share as a message (see `prestartBootstrapWorker`). */
function startWorker(input: WorkerInput | undefined): Worker {
  const here = import.meta.url;
  const ext = extname(fileURLToPath(here));
  const script = new URL(`./bootstrap-worker${ext}`, here);
  let worker: Worker;
  if (ext === ".ts") {
    // Under the TypeScript loader, the worker registers it before importing the worker module.
    const loader = import.meta.resolve("tsx/esm/api");
    const code = `import(${JSON.stringify(loader)}).then((m) => { m.register(); return import(${JSON.stringify(script.href)}); });`;
    worker = new Worker(code, { eval: true, workerData: input ?? null, execArgv: [] });
  } else {
    // Given --input-type, or V8's flags (node --max-old-space-size=...), every worker failed to start and each call
    // waited START_TIMEOUT_MS (10 s) before running the shares itself, or threw (core/workers.ts).
    worker = newWorker(script, { workerData: input ?? null });
  }
  // The waiting side reads only the status words (it is blocked, so it cannot take events); a load failure
  // leaves the state at 0 and the share is run there after START_TIMEOUT_MS.
  worker.on("error", () => {});
  worker.unref();
  return worker;
}
