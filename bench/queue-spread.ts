/**
 * Job-queue benchmark (issue 16): `npx tsx bench/queue-spread.ts [--jobs 8] [--service-ms 100] [--limit 8]`.
 *
 * Real parts: a throwaway PostgreSQL cluster (test/support/postgres.ts), pg-boss, and `serve-model` endpoints
 * over the zoo's arithmetic GGUF with a fixed service time (one request at a time, each at least --service-ms,
 * as a saturated GPU server would; the tiny model's own compute is a small part of it), so that several endpoints
 * on this 2-core machine behave like several machines. Workers run in this process (runWorker, one slot each).
 *
 * 1. Spread: the same --jobs evaluation jobs (synthetic_math_mc, --limit documents, distinct revisions so that
 *    no job answers another from the cache), on a fresh database each time, by N workers on N endpoints, N = 1, 2,
 *    4. Printed: wall time and the ratio t(N)/t(1) against the target 1.2/N.
 * 2. Overhead per job: 200 jobs whose handler does nothing, one worker: send + lease + heartbeat timer + complete,
 *    per job (target < 50 ms).
 * 3. Re-lease after a crash: a holder takes a job and its connection dies without a word (as a killed worker's
 *    does); printed: time until another worker holds the job, against the lease time.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { installJobEnv } from "../src/queue/handlers.ts";
import { type EvalJob, evalKey, evalQueue } from "../src/queue/jobs.ts";
import { JobQueue } from "../src/queue/queue.ts";
import { type JobEnv, runWorker } from "../src/queue/worker.ts";
import { type RunningModelServer, startModelServer } from "../src/serve-model/service.ts";
import { openStoreAt } from "../src/store/open.ts";
import { startPostgres } from "../test/support/postgres.ts";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "8" },
    "service-ms": { type: "string", default: "100" },
    limit: { type: "string", default: "8" },
    lease: { type: "string", default: "3" },
  },
});
const JOBS = Number(values.jobs);
const SERVICE_MS = Number(values["service-ms"]);
const LIMIT = Number(values.limit);
const LEASE_S = Number(values.lease);
const ROOT = join(import.meta.dirname, "..");
const MODEL = "zoo-arithmetic";
const DATA = join(ROOT, "..", "shared", "data");

function job(i: number): EvalJob {
  const base = {
    model: MODEL,
    revision: `bench-${i}`,
    precision: "F32",
    chatTemplate: false,
    systemPrompt: "none",
    suite: "synthetic_math_mc",
    limit: LIMIT,
    seed: 1234,
  };
  return { kind: "eval", ...base, tasks: ["synthetic_math_mc"], submitter: "bench", key: evalKey(base) };
}

const cluster = await startPostgres();
const servers: RunningModelServer[] = [];
try {
  for (let i = 0; i < 4; i++)
    servers.push(
      await startModelServer({
        modelPath: join(ROOT, "fixtures", "zoo", `${MODEL}.gguf`),
        port: 0,
        threads: 1,
        cwd: ROOT,
        serviceTimeMs: SERVICE_MS,
      }),
    );
  const urls = servers.map((s) => `${s.url}/v1`);

  // 1. Spread.
  const times = new Map<number, number>();
  for (const n of [1, 2, 4]) {
    const db = await cluster.createDatabase();
    const queue = await JobQueue.open(db, { leaseSeconds: 30 });
    const store = await openStoreAt(db);
    for (let i = 0; i < JOBS; i++) await queue.send(job(i));
    const t0 = performance.now();
    const report = await runWorker({
      queue,
      env: installJobEnv({ store, dataDir: DATA, tasksDirs: [] }),
      endpoints: urls.slice(0, n),
      exitWhenIdle: true,
      pollMs: 20,
      signal: new AbortController().signal,
      log: () => {},
    });
    const ms = performance.now() - t0;
    if (report.completed !== JOBS) throw new Error(`N=${n}: ${report.completed} of ${JOBS} jobs completed`);
    times.set(n, ms);
    await queue.close();
    await store.close();
  }
  const t1 = times.get(1) as number;
  console.log(
    `spread: ${JOBS} jobs x ${LIMIT} docs (synthetic_math_mc), endpoints with a ${SERVICE_MS} ms service time`,
  );
  for (const [n, ms] of times)
    console.log(
      `  N=${n}: ${(ms / 1000).toFixed(2)} s  ratio t(N)/t(1) = ${(ms / t1).toFixed(3)}  target <= ${(1.2 / n).toFixed(3)}  ${ms / t1 <= 1.2 / n ? "ok" : "MISSED"}`,
    );

  // 2. Overhead per job, with a handler that does nothing.
  {
    const db = await cluster.createDatabase();
    const queue = await JobQueue.open(db, { leaseSeconds: 30 });
    const store = await openStoreAt(db);
    const K = 200;
    const noop: JobEnv = {
      store,
      runEval: async () => ({}),
      runGenerate: async () => ({}),
      runJudge: async () => ({}),
      rebuildMap: async () => ({}),
    };
    const t0 = performance.now();
    for (let i = 0; i < K; i++) await queue.send(job(i));
    const sent = performance.now();
    const report = await runWorker({
      queue,
      env: noop,
      endpoints: [urls[0] as string],
      exitWhenIdle: true,
      pollMs: 20,
      signal: new AbortController().signal,
      log: () => {},
    });
    const done = performance.now();
    if (report.completed !== K) throw new Error(`overhead: ${report.completed} of ${K} completed`);
    const perJob = (done - t0) / K;
    console.log(
      `overhead: ${K} no-op jobs: send ${((sent - t0) / K).toFixed(2)} ms/job, lease+run+complete ${((done - sent) / K).toFixed(2)} ms/job, total ${perJob.toFixed(2)} ms/job  target < 50  ratio ${(perJob / 50).toFixed(3)}  ${perJob < 50 ? "ok" : "MISSED"}`,
    );
    await queue.close();
    await store.close();
  }

  // 3. Re-lease after a crash.
  {
    const db = await cluster.createDatabase();
    const superviseSeconds = 1;
    const holder = await JobQueue.open(db, { leaseSeconds: LEASE_S, superviseSeconds });
    const other = await JobQueue.open(db, { leaseSeconds: LEASE_S, superviseSeconds });
    const rounds = 3;
    const waits: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const id = await other.send(job(1000 + r));
      const taken = await holder.take(evalQueue(MODEL));
      if (taken?.id !== id) throw new Error("the holder did not get the job");
      // The holder renews once, then goes silent (a SIGKILLed worker stops beating; its lease runs from here).
      await holder.heartbeat(taken);
      const crashedAt = performance.now();
      for (;;) {
        const again = await other.take(evalQueue(MODEL));
        if (again) {
          if (again.id !== id) throw new Error("another job came back");
          waits.push(performance.now() - crashedAt);
          await other.complete(again, {});
          break;
        }
        await new Promise((res) => setTimeout(res, 20));
      }
    }
    await holder.close();
    await other.close();
    const worst = Math.max(...waits);
    console.log(
      `re-lease after a crash: lease ${LEASE_S} s, supervision every ${superviseSeconds} s: taken again after ${waits.map((w) => (w / 1000).toFixed(2)).join(", ")} s; worst / lease = ${(worst / 1000 / LEASE_S).toFixed(3)}  target <= 1 (within the lease time)  ${worst / 1000 <= LEASE_S ? "ok" : "MISSED"}`,
    );
  }
} finally {
  for (const s of servers) await s.close();
  await cluster.stop();
}
