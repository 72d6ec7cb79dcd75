/**
 * End to end, issue 16: a submission through the web form (HTTP POST to a real `serve` app on loopback), two more
 * through `modelmap submit`, three `modelmap worker` processes against two real serve-model endpoints (zoo GGUF,
 * fixed service time so that jobs last long enough to be interrupted), all on a throwaway PostgreSQL cluster. The
 * worker holding the web-form job is SIGKILLed mid-job: the job is leased again once its lease runs out, resumes
 * from the request cache, every sample is stored exactly once, and the results equal those of a single worker
 * that ran the same jobs on a fresh database. The remaining workers drain on SIGTERM and exit 0.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import pg from "pg";
import { createApp } from "../src/http/app.ts";
import { listen } from "../src/http/listen.ts";
import { ROUTE_MODULES } from "../src/http/routes/index.ts";
import { installJobEnv } from "../src/queue/handlers.ts";
import { type EvalJob, parseJob } from "../src/queue/jobs.ts";
import { JobQueue } from "../src/queue/queue.ts";
import { runWorker } from "../src/queue/worker.ts";
import { type RunningModelServer, startModelServer } from "../src/serve-model/service.ts";
import { openStoreAt } from "../src/store/open.ts";
import { runCaptured } from "./support/cli.ts";
import { type PgCluster, startPostgres } from "./support/postgres.ts";

const ROOT = join(import.meta.dirname, "..");
const ZOO = join(ROOT, "fixtures", "zoo");
const MODEL = "zoo-arithmetic";
// Leases short enough for a quick test, long enough for a worker's heartbeat on 2 loaded cores.
const LEASE_S = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cluster: PgCluster;
const endpoints: RunningModelServer[] = [];
before(async () => {
  cluster = await startPostgres();
  for (let i = 0; i < 2; i++)
    endpoints.push(
      await startModelServer({
        modelPath: join(ZOO, `${MODEL}.gguf`),
        port: 0,
        threads: 1,
        cwd: ROOT,
        serviceTimeMs: 10,
      }),
    );
});
after(async () => {
  for (const e of endpoints) await e.close();
  await cluster?.stop();
});

interface Worker {
  child: ChildProcess;
  err: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnWorker(db: string, urls: string[]): Worker {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(ROOT, "src", "cli", "main.ts"),
      "--db",
      db,
      "worker",
      "--model-endpoint",
      urls.join(","),
      "--lease",
      String(LEASE_S),
      "--poll-ms",
      "100",
      "--window",
      "10",
      "--request-concurrency",
      "2",
      "--drain",
      "20",
    ],
    { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] },
  );
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on("exit", (code, signal) => res({ code, signal })),
  );
  return { child, err: () => err, done };
}

const docsOf = (suite: string) =>
  readFileSync(join(ROOT, "tasks", "synthetic", "data", `${suite}.test.jsonl`), "utf8")
    .trim()
    .split("\n").length;

test("web-form submission, 3 workers on 2 endpoints, one SIGKILLed mid-job: re-leased, samples once, same results", {
  timeout: 600_000,
}, async () => {
  const db = await cluster.createDatabase();
  const urls = endpoints.map((e) => `${e.url}/v1`);
  const queue = await JobQueue.open(db);
  const store = await openStoreAt(db);
  const workers: Worker[] = [];
  try {
    // The web form, on a real server.
    const app = createApp(
      { store, submissions: { queue, policy: { modelsDir: ZOO, endpoints: urls } } },
      ROUTE_MODULES,
    );
    const server = await listen(app, { host: "127.0.0.1", port: 0 });
    let webJob: string;
    try {
      const form = new URLSearchParams({
        model: MODEL,
        revision: "main",
        precision: "F32",
        system_prompt: "none",
        suite: "synthetic_math_mc",
        submitter: "web-user",
      });
      const res = await fetch(`${server.url}/submit`, { method: "POST", body: form, redirect: "manual" });
      assert.equal(res.status, 303, await res.text());
      assert.equal(res.headers.get("location"), "/queue");
      // The same submission again is refused, and the form says why.
      const again = await fetch(`${server.url}/submit`, { method: "POST", body: form, redirect: "manual" });
      assert.equal(again.status, 422);
      assert.match(await again.text(), /already queued/);
      const listed = (await (await fetch(`${server.url}/api/queue`)).json()) as {
        submissions: Array<{ id: string; status: string; submitter: string }>;
      };
      assert.equal(listed.submissions.length, 1);
      assert.equal(listed.submissions[0]?.status, "pending");
      webJob = listed.submissions[0]?.id as string;
    } finally {
      await server.close();
    }
    // Two more through the CLI, so that every worker has work.
    for (const suite of ["synthetic_knowledge_mc", "synthetic_reasoning_mc"]) {
      const r = await runCaptured([
        "--db",
        db,
        "submit",
        MODEL,
        "--precision",
        "f32",
        "--no-chat-template",
        "--suite",
        suite,
        "--submitter",
        "cli-user",
        "--models-dir",
        ZOO,
      ]);
      assert.equal(r.code, 0, r.err);
    }
    // A refusal exits 2 and says why.
    const refused = await runCaptured([
      "--db",
      db,
      "submit",
      MODEL,
      "--precision",
      "Q4_0",
      "--no-chat-template",
      "--suite",
      "synthetic_math",
      "--submitter",
      "x",
      "--models-dir",
      ZOO,
    ]);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /precision 'Q4_0' does not match the weights \(F32\)/);

    for (let i = 0; i < 3; i++) workers.push(spawnWorker(db, urls));
    // Find the worker that holds the web-form job and kill it once the job has stored some samples.
    const pool = new pg.Pool({ connectionString: db, max: 1 });
    let victim: Worker | undefined;
    try {
      for (let i = 0; i < 3000 && !victim; i++) {
        await sleep(50);
        // The current holder: the worker that logged the latest attempt of the job.
        const attemptOf = (w: Worker) =>
          Math.max(
            0,
            ...[...w.err().matchAll(new RegExp(`job ${webJob}: eval .*\\(attempt (\\d+)\\)`, "g"))].map((m) =>
              Number(m[1]),
            ),
          );
        const holder = [...workers].sort((a, b) => attemptOf(b) - attemptOf(a)).find((w) => attemptOf(w) > 0);
        if (!holder) continue;
        const { rows } = await pool.query(
          "SELECT count(*)::int AS n FROM eval_samples s JOIN eval_runs r ON r.id = s.run_id WHERE s.task LIKE 'synthetic_math%'",
        );
        if ((rows[0] as { n: number }).n >= 20) {
          holder.child.kill("SIGKILL");
          victim = holder;
        }
      }
      assert.ok(victim, "the web-form job never started or finished before the kill point");
      const killed = await victim.done;
      assert.equal(killed.signal, "SIGKILL");
      const stored = (await pool.query("SELECT count(*)::int AS n FROM eval_samples WHERE task LIKE 'synthetic_math%'"))
        .rows[0] as { n: number };
      assert.ok(stored.n < docsOf("synthetic_math"), "killed before the job's end");
    } finally {
      await pool.end();
    }
    // Every job finishes on the surviving workers.
    const deadline = Date.now() + 300_000;
    for (;;) {
      const jobs = (await queue.list()).filter((j) => j.queue !== "mm-map");
      if (jobs.length === 3 && jobs.every((j) => j.state === "completed")) break;
      assert.ok(
        !jobs.some((j) => j.state === "failed"),
        `a job failed: ${JSON.stringify(jobs.map((j) => j.output))}\n${workers.map((w) => w.err()).join("\n")}`,
      );
      assert.ok(Date.now() < deadline, `jobs did not finish: ${jobs.map((j) => j.state).join(", ")}`);
      await sleep(200);
    }
    const web = (await queue.get(webJob)) ?? assert.fail("web job gone");
    assert.ok(web.retryCount >= 1, "the killed worker's job was leased again");
    const out = web.output as { runId: string; docs: number; cachedRequests: number };
    assert.ok(
      out.cachedRequests > 0,
      `the next lease resumed from the cache instead of starting over:\n${workers.map((w) => w.err()).join("\n")}`,
    );
    const others = workers.filter((w) => w !== victim);
    assert.ok(
      others.some((w) => new RegExp(`job ${webJob}: eval .* \\(attempt [2-9]\\)`).test(w.err())),
      "another worker took the job over",
    );
    // Every sample exactly once: one row per (task, document), all documents present.
    const tasks = await store.evals.sampleTasks(out.runId);
    assert.deepEqual(
      tasks.map((t) => [t.task, t.n + t.errors]),
      [["synthetic_math_mc", docsOf("synthetic_math")]],
    );
    // The queue page shows three finished submissions, each linking to its run.
    const page = createApp({ store, submissions: { queue, policy: { modelsDir: ZOO } } }, ROUTE_MODULES);
    const html = await (await page.request("/queue")).text();
    assert.match(html, /Finished \(3\)/);
    assert.ok(html.includes(`href="/runs/${out.runId}"`));
    assert.equal((await page.request(`/runs/${out.runId}`)).status, 200);

    // The remaining workers drain on SIGTERM and exit 0.
    for (const w of others) w.child.kill("SIGTERM");
    for (const w of others) {
      const r = await w.done;
      assert.equal(r.code, 0, w.err());
      assert.match(w.err(), /stopped: \d+ completed/);
    }

    // The same jobs on a fresh database, one worker: the same results.
    const refDb = await cluster.createDatabase();
    const refQueue = await JobQueue.open(refDb);
    const refStore = await openStoreAt(refDb);
    try {
      const jobs = (await queue.list()).filter((j) => j.queue !== "mm-map");
      for (const j of jobs) await refQueue.send(parseJob(j.id, j.data) as EvalJob);
      const report = await runWorker({
        queue: refQueue,
        env: installJobEnv({ store: refStore, dataDir: join(ROOT, "..", "shared", "data"), tasksDirs: [] }),
        endpoints: [urls[0] as string],
        exitWhenIdle: true,
        pollMs: 50,
        signal: new AbortController().signal,
        log: () => {},
      });
      assert.equal(report.completed, 3);
      for (const j of jobs) {
        const runId = (j.output as { runId: string }).runId;
        const a = (await store.evals.getRun(runId))?.log;
        const b = (await refStore.evals.getRun(runId))?.log;
        assert.ok(a && b, `run ${runId} in both databases`);
        assert.deepEqual(a.results, b.results, `run ${runId}: results`);
        assert.deepEqual(a.groups, b.groups);
      }
    } finally {
      await refQueue.close();
      await refStore.close();
    }
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    await queue.close();
    await store.close();
  }
});
