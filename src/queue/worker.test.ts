/**
 * The worker's own rules, against real PostgreSQL and a real OpenAI-compatible endpoint (a small hono server
 * listing one model; jobs here do not call it): per-endpoint slots, drain on the stop signal (a job still
 * running after the drain time is stopped and handed back to the queue), and a lost lease (the job cancelled)
 * stops the job without recording an outcome over the cancellation.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Hono } from "hono";
import { type PgCluster, startPostgres } from "../../test/support/postgres.ts";
import { listen } from "../http/listen.ts";
import type { Store } from "../store/store.ts";
import { type EvalJob, evalKey } from "./jobs.ts";
import { JobQueue } from "./queue.ts";
import { type JobEnv, runWorker } from "./worker.ts";

let cluster: PgCluster;
let endpoint: { url: string; close(): Promise<void> };
before(async () => {
  cluster = await startPostgres();
  const app = new Hono();
  app.get("/v1/models", (c) => c.json({ object: "list", data: [{ id: "m", object: "model" }] }));
  endpoint = await listen(app, { host: "127.0.0.1", port: 0 });
});
after(async () => {
  await endpoint?.close();
  await cluster?.stop();
});

function job(i: number): EvalJob {
  const base = {
    model: "m",
    revision: `r${i}`,
    precision: "F32",
    chatTemplate: false,
    systemPrompt: "none",
    suite: "s",
    seed: 1,
  };
  return { kind: "eval", ...base, tasks: ["t"], key: evalKey(base) };
}

/** Jobs that run until told to stop (or `release` lets them finish); records how many run at once. */
function blockingEnv() {
  let running = 0;
  let peak = 0;
  const started: string[] = [];
  let release = () => {};
  const released = new Promise<void>((r) => {
    release = r;
  });
  const env: JobEnv = {
    store: undefined as unknown as Store,
    async runEval(j, _backend, signal) {
      started.push(j.revision);
      running++;
      peak = Math.max(peak, running);
      try {
        await new Promise<void>((res, rej) => {
          void released.then(res);
          signal.addEventListener("abort", () => rej(new Error("stopped")), { once: true });
        });
        return { ok: j.revision };
      } finally {
        running--;
      }
    },
    runGenerate: async () => ({}),
    runJudge: async () => ({}),
    rebuildMap: async () => ({}),
  };
  return { env, started, peak: () => peak, release: () => release() };
}

const until = async (cond: () => boolean | Promise<boolean>, what: string) => {
  for (let i = 0; i < 400; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
};

test("slots per endpoint bound the jobs at once; on stop, running jobs finish within the drain time", async () => {
  const q = await JobQueue.open(await cluster.createDatabase(), { leaseSeconds: 30 });
  try {
    for (let i = 0; i < 3; i++) await q.send(job(i));
    const b = blockingEnv();
    const stop = new AbortController();
    const logs: string[] = [];
    const worker = runWorker({
      queue: q,
      env: b.env,
      endpoints: [`${endpoint.url}/v1`],
      perEndpoint: 2,
      pollMs: 20,
      drainMs: 10_000,
      signal: stop.signal,
      log: (l) => logs.push(l),
    });
    await until(() => b.started.length === 2, "two jobs to start");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(b.peak(), 2, "two slots, two jobs at once; the third waits");
    stop.abort();
    b.release();
    const report = await worker;
    assert.deepEqual(report, { completed: 2, failed: 0, handedBack: 0 });
    const states = (await q.list()).map((j) => j.state).sort();
    assert.deepEqual(states, ["completed", "completed", "created"], "no job taken after the stop signal");
    assert.ok(logs.some((l) => l.startsWith("draining")));
  } finally {
    await q.close();
  }
});

test("a job still running when the drain time is over is handed back; a cancelled job is dropped, not completed", async () => {
  const q = await JobQueue.open(await cluster.createDatabase(), { leaseSeconds: 2, superviseSeconds: 1 });
  try {
    const handed = await q.send(job(10));
    const b = blockingEnv();
    const stop = new AbortController();
    const worker = runWorker({
      queue: q,
      env: b.env,
      endpoints: [`${endpoint.url}/v1`],
      pollMs: 20,
      drainMs: 100,
      signal: stop.signal,
      log: () => {},
    });
    await until(() => b.started.length === 1, "the job to start");
    stop.abort();
    assert.deepEqual(await worker, { completed: 0, failed: 0, handedBack: 1 });
    const back = (await q.get(handed)) ?? assert.fail("gone");
    assert.equal(back.state, "retry", "back in the queue for another worker");
    assert.match(JSON.stringify(back.output), /worker stopped while running/);

    // Cancelled while running: the heartbeat finds the lease gone and the worker lets the job go.
    const b2 = blockingEnv();
    const stop2 = new AbortController();
    const w2 = runWorker({
      queue: q,
      env: b2.env,
      endpoints: [`${endpoint.url}/v1`],
      pollMs: 20,
      signal: stop2.signal,
      log: () => {},
    });
    await until(() => b2.started.length === 1, "the handed-back job to start again");
    await q.cancel(handed);
    await until(async () => (await q.list({ state: "cancelled" })).length === 1, "the cancellation");
    await new Promise((r) => setTimeout(r, 1500));
    stop2.abort();
    assert.deepEqual(await w2, { completed: 0, failed: 0, handedBack: 0 });
    assert.equal((await q.get(handed))?.state, "cancelled", "not completed or failed over the cancellation");
  } finally {
    await q.close();
  }
});
