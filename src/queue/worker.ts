/**
 * A worker: takes jobs from the queue and runs them on the model endpoints it was given. Each endpoint has
 * `perEndpoint` slots; a slot takes one job at a time, from the queues of the models its endpoint serves and the
 * map queue, so that N endpoints keep N (or N*k) jobs running and a busy endpoint never gets a job another one
 * could take. While a job runs, a heartbeat renews its lease every quarter of the lease time; a worker that dies
 * stops beating and pg-boss hands the job to another worker once the lease runs out. Results go through the eval
 * store's request cache, so the next holder resumes where the last one stopped, and samples are keyed by
 * (run, task, doc), so none is stored twice.
 *
 * On `signal` (SIGTERM) the worker drains: no new job is taken, running ones get `drainMs` to finish, and any
 * still running then is stopped and handed back to the queue (its progress is kept).
 */
import type { Backend } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import type { HubSettings } from "../hub/settings.ts";
import { type BackendMiddleware, wrapBackend } from "../models/middleware.ts";
import { resolveModel } from "../models/resolve.ts";
import type { Store } from "../store/store.ts";
import {
  type EvalJob,
  evalQueue,
  fleetEndpoint,
  type GenerateJob,
  HUB_QUEUE,
  type JobData,
  type JudgeJob,
  MAP_QUEUE,
  parseJob,
} from "./jobs.ts";
import type { JobQueue, LeasedJob } from "./queue.ts";

export interface JobEnv {
  store: Store;
  /** Runs an eval job on one endpoint; returns what the job's output records. */
  runEval(job: EvalJob, backend: Backend, signal: AbortSignal): Promise<object>;
  runGenerate(job: GenerateJob, backend: Backend, signal: AbortSignal): Promise<object>;
  runJudge(job: JudgeJob, judge: Backend, signal: AbortSignal): Promise<object>;
  /** Rebuilds the map. */
  rebuildMap(signal: AbortSignal): Promise<object>;
}

export interface WorkerOptions {
  queue: JobQueue;
  env: JobEnv;
  /** OpenAI-compatible base URLs ending in /v1. */
  endpoints: string[];
  /** Jobs at once per endpoint (default 1). */
  perEndpoint?: number;
  /** Request concurrency inside one job (default 4). */
  requestConcurrency?: number;
  /** Idle wait between polls of an empty queue (default 500 ms). */
  pollMs?: number;
  /** Drain time after `signal` before running jobs are stopped (default 30 s). */
  drainMs?: number;
  /**
   * Slots that run hub submissions' pinned GGUFs in-process (llama.cpp), downloaded through the hub cache: `slots`
   * jobs at a time, `threads` CPU threads each. Absent: this worker takes no hub jobs.
   */
  hub?: { settings: HubSettings; slots: number; threads?: number } | undefined;
  /** Stop once every slot found the queues empty (for tests and batch use). */
  exitWhenIdle?: boolean;
  signal: AbortSignal;
  log(line: string): void;
}

export interface WorkerReport {
  completed: number;
  failed: number;
  handedBack: number;
}

/** Waits `ms`, or less when `signal` fires; the listener goes with the wait (a polling loop adds one per poll). */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((res) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      res();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });

/** The models an endpoint serves (GET /v1/models), retried until it answers or `signal` fires. */
export async function servedModels(endpoint: string, signal: AbortSignal, log: (l: string) => void): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`${endpoint.replace(/\/$/, "")}/models`, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = (await res.json()) as { data?: Array<{ id?: unknown }> };
      const ids = (body.data ?? []).map((m) => m.id).filter((x): x is string => typeof x === "string");
      if (ids.length === 0) throw new Error("it lists no model");
      return ids;
    } catch (e) {
      if (signal.aborted) return [];
      if (attempt % 10 === 0) log(`endpoint ${endpoint} not ready (${(e as Error).message}); retrying`);
      await sleep(Math.min(5000, 200 * 2 ** Math.min(attempt, 5)), signal);
    }
  }
}

/**
 * The endpoint's backend under the identity every endpoint of the fleet shares for this model (and revision):
 * caches and answer keys then do not depend on which endpoint served, so a job taken over by another worker on
 * another endpoint resumes instead of starting over.
 */
async function fleetBackend(
  endpoint: string,
  model: string,
  id: string,
  fleet: string,
  concurrency: number,
): Promise<Backend> {
  const inner = await resolveModel(
    { kind: "endpoint", url: endpoint, modelName: model, id: model, concurrency },
    // An endpoint spec reads no file: no working directory or environment is needed.
    { env: {}, cwd: "/", config: undefined },
  );
  const describe: BackendMiddleware = {
    describe: (d) => ({ ...d, identity: { id, backend: d.identity.backend, name: model, endpoint: fleet } }),
  };
  return wrapBackend(inner, describe);
}

/** Where a slot runs its jobs: an endpoint's base URL, or this process with weights from the hub. */
type Place = string | { hub: NonNullable<WorkerOptions["hub"]> };

async function backendFor(place: Place, job: Exclude<JobData, { kind: "map" }>, concurrency: number): Promise<Backend> {
  if (typeof place !== "string") {
    if (job.kind !== "eval" || !job.source)
      throw new ModelmapError("internal", "a hub slot took a job that names no hub weights");
    const { openHubModel } = await import("./hub-model.ts");
    return openHubModel({ ...job, source: job.source }, place.hub.settings, place.hub.threads);
  }
  const endpoint = place;
  if (job.kind === "eval" && job.source)
    throw new ModelmapError("internal", "an endpoint slot took a job whose weights come from the hub");
  if (job.kind === "eval")
    return fleetBackend(endpoint, job.model, `${job.model}@${job.revision}`, fleetEndpoint(job), concurrency);
  const model = job.kind === "generate" ? job.model : job.judge;
  return fleetBackend(endpoint, model, model, `fleet:${model}`, concurrency);
}

function describeJob(job: JobData): string {
  switch (job.kind) {
    case "eval":
      return `eval ${job.model} on ${job.suite}`;
    case "generate":
      return `generate ${job.model} on ${job.set}`;
    case "judge":
      return `judge ${job.set} with ${job.judge}`;
    case "map":
      return "rebuild the map";
  }
}

export async function runWorker(o: WorkerOptions): Promise<WorkerReport> {
  const report: WorkerReport = { completed: 0, failed: 0, handedBack: 0 };
  const perEndpoint = o.perEndpoint ?? 1;
  const pollMs = o.pollMs ?? 500;
  // Stops running jobs once the drain time is over.
  const stopJobs = new AbortController();
  o.signal.addEventListener(
    "abort",
    () => {
      o.log(`draining: no new jobs; running ones get ${((o.drainMs ?? 30_000) / 1000).toFixed(0)} s`);
      setTimeout(() => stopJobs.abort(), o.drainMs ?? 30_000).unref();
    },
    { once: true },
  );

  async function runJob(leased: LeasedJob, place: Place): Promise<void> {
    const endpoint = typeof place === "string" ? place : "this process (weights from the hub)";
    const lost = new AbortController();
    const jobSignal = AbortSignal.any([lost.signal, stopJobs.signal]);
    const beat = setInterval(
      () => {
        o.queue.heartbeat(leased).then(
          (held) => {
            if (!held) {
              o.log(`job ${leased.id}: lease lost (expired or cancelled); stopping it here`);
              lost.abort();
            }
          },
          (e: unknown) => o.log(`job ${leased.id}: heartbeat failed: ${(e as Error).message}`),
        );
      },
      Math.max(200, (o.queue.leaseSeconds * 1000) / 4),
    );
    let job: JobData;
    try {
      job = parseJob(leased.id, leased.data);
    } catch (e) {
      clearInterval(beat);
      report.failed++;
      await o.queue.fail(leased, (e as Error).message);
      return;
    }
    const started = Date.now();
    o.log(`job ${leased.id}: ${describeJob(job)} (attempt ${leased.attempt + 1}) on ${endpoint}`);
    try {
      let output: object;
      if (job.kind === "map") output = await o.env.rebuildMap(jobSignal);
      else {
        const backend = await backendFor(place, job, o.requestConcurrency ?? 4);
        try {
          output =
            job.kind === "eval"
              ? await o.env.runEval(job, backend, jobSignal)
              : job.kind === "generate"
                ? await o.env.runGenerate(job, backend, jobSignal)
                : await o.env.runJudge(job, backend, jobSignal);
        } finally {
          await backend.close();
        }
      }
      clearInterval(beat);
      // A holder that stalled past its lease (a long pause, not a crash) must not complete a later attempt.
      if (lost.signal.aborted || !(await o.queue.heartbeat(leased))) {
        o.log(`job ${leased.id}: finished after its lease was lost; the outcome is left to the current holder`);
        return;
      }
      await o.queue.complete(leased, output);
      report.completed++;
      o.log(`job ${leased.id}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } catch (e) {
      clearInterval(beat);
      if (lost.signal.aborted) return;
      const message = e instanceof Error ? e.message : String(e);
      if (stopJobs.signal.aborted) {
        report.handedBack++;
        await o.queue.fail(
          leased,
          `worker stopped while running (drain time over); resumes from the cache: ${message}`,
        );
        o.log(`job ${leased.id}: handed back to the queue`);
        return;
      }
      report.failed++;
      await o.queue.fail(leased, message);
      o.log(`job ${leased.id}: failed: ${message}`);
    }
  }

  async function slot(place: Place, queues: string[]): Promise<void> {
    let next = 0;
    let idleRounds = 0;
    while (!o.signal.aborted) {
      let leased: LeasedJob | undefined;
      // Round-robin over the queues, so that one model's backlog does not starve the map queue.
      try {
        for (let i = 0; i < queues.length && !leased; i++) {
          const q = queues[(next + i) % queues.length] as string;
          leased = await o.queue.take(q);
          if (leased) next = (next + i + 1) % queues.length;
        }
      } catch (e) {
        // The database may be restarting or briefly unreachable: wait and ask again rather than die.
        o.log(`taking a job failed: ${(e as Error).message}; retrying`);
        await sleep(Math.max(pollMs, 1000), o.signal);
        continue;
      }
      if (!leased) {
        if (o.exitWhenIdle && ++idleRounds >= 2) return;
        await sleep(pollMs, o.signal);
        continue;
      }
      idleRounds = 0;
      // A failure to record the outcome (the database gone for a moment) leaves the job to expire and run again.
      await runJob(leased, place).catch((e: unknown) =>
        o.log(`job ${leased.id}: could not record its outcome: ${(e as Error).message}`),
      );
    }
  }

  // Each endpoint starts its slots as soon as it answers: one endpoint still loading holds up no other.
  let started = 0;
  const hub = o.hub;
  const hubSlots = hub && hub.slots > 0 ? Array.from({ length: hub.slots }, () => slot({ hub }, [HUB_QUEUE])) : [];
  if (hubSlots.length > 0) {
    started++;
    o.log(`${hubSlots.length} slot(s) run hub GGUFs in this process (downloads from ${hub?.settings.endpoint})`);
  }
  await Promise.all([
    ...hubSlots,
    ...o.endpoints.map(async (endpoint) => {
      const models = await servedModels(endpoint, o.signal, o.log);
      if (o.signal.aborted) return;
      o.log(`endpoint ${endpoint} serves ${models.join(", ")}; ${perEndpoint} job(s) at a time`);
      const queues = [...models.map(evalQueue), MAP_QUEUE];
      started++;
      await Promise.all(Array.from({ length: perEndpoint }, () => slot(endpoint, queues)));
    }),
  ]);
  if (started === 0 && !o.signal.aborted) throw new ModelmapError("usage", "worker: no endpoint to work on");
  return report;
}
