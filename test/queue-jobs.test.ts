/**
 * The other job kinds through the queue, with real parts: a prompt set stored in PostgreSQL (`prompts import`),
 * `queue add generate|judge|map` from the CLI, and one in-process worker on three serve-model endpoints (two zoo
 * models answer, a tiny random model with a longer context judges). Answers, judgments and the map land in the store; a generate job queued again
 * resumes every answer from the store instead of asking again.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { installJobEnv } from "../src/queue/handlers.ts";
import { JobQueue } from "../src/queue/queue.ts";
import { runWorker } from "../src/queue/worker.ts";
import { type RunningModelServer, startModelServer } from "../src/serve-model/service.ts";
import { openStoreAt } from "../src/store/open.ts";
import { runCaptured } from "./support/cli.ts";
import { type PgCluster, startPostgres } from "./support/postgres.ts";
import { createTinyModel } from "./support/tiny-model.ts";

const ROOT = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "mm-queue-jobs-"));
let cluster: PgCluster;
const servers: RunningModelServer[] = [];
before(async () => {
  cluster = await startPostgres();
  for (const m of ["zoo-arithmetic", "zoo-facts"])
    servers.push(
      await startModelServer({ modelPath: join(ROOT, "fixtures", "zoo", `${m}.gguf`), port: 0, threads: 1, cwd: ROOT }),
    );
  // The judge reads both answers in one prompt: the zoo's 96-token context is too small, so a tiny random model
  // with a 4096-token context judges (its verdicts are mostly unparseable; the calls and their storage are real).
  const judge = createTinyModel(join(dir, "judge.gguf"), { seed: 9, contextLength: 4096, name: "tiny-judge" });
  servers.push(
    await startModelServer({ modelPath: judge.path, port: 0, threads: 1, cwd: ROOT, modelName: "tiny-judge" }),
  );
});
after(async () => {
  for (const s of servers) await s.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("generate, judge and map jobs run on the workers' endpoints and resume from the store", {
  timeout: 300_000,
}, async () => {
  const db = await cluster.createDatabase();
  const cli = async (...args: string[]) => {
    const r = await runCaptured(["--db", db, ...args], { cwd: ROOT });
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.err}`);
    return r.out;
  };
  await cli("prompts", "import", "prompts/synthetic");
  const set = "synthetic-zoo";
  const refused = await runCaptured(["--db", db, "queue", "add", "generate", "--model", "x", "--prompts", "nope"]);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /no stored prompt set 'nope'/);
  for (const m of ["zoo-arithmetic", "zoo-facts"])
    await cli("queue", "add", "generate", "--model", m, "--prompts", set, "--limit", "4", "--max-tokens", "8");
  const runAll = async () => {
    const queue = await JobQueue.open(db, { leaseSeconds: 30 });
    const store = await openStoreAt(db);
    try {
      return await runWorker({
        queue,
        env: installJobEnv({ store, dataDir: join(ROOT, "..", "shared", "data"), tasksDirs: [] }),
        endpoints: servers.map((s) => `${s.url}/v1`),
        exitWhenIdle: true,
        pollMs: 20,
        signal: new AbortController().signal,
        log: () => {},
      });
    } finally {
      await queue.close();
      await store.close();
    }
  };
  assert.deepEqual(await runAll(), { completed: 2, failed: 0, handedBack: 0 });
  await cli(
    "queue",
    "add",
    "judge",
    "--judge",
    "tiny-judge",
    "--models",
    "zoo-arithmetic,zoo-facts",
    "--prompts",
    set,
    "--max-tokens",
    "8",
  );
  await cli("queue", "add", "map");
  assert.deepEqual(await runAll(), { completed: 2, failed: 0, handedBack: 0 });

  const store = await openStoreAt(db);
  const queue = await JobQueue.open(db);
  try {
    const answers = await store.judging.latestAnswers(set, ["zoo-arithmetic", "zoo-facts"]);
    assert.equal(answers.length, 8, "4 prompts x 2 models");
    const judgments = await store.judging.judgments({ judge: "tiny-judge", setName: set });
    assert.ok(
      judgments.length > 0,
      `the judge's calls are stored: ${JSON.stringify((await queue.list()).map((j) => j.output))}`,
    );
    const jobs = await queue.list();
    assert.deepEqual(jobs.map((j) => j.state).sort(), ["completed", "completed", "completed", "completed"]);
    const map = jobs.find((j) => j.queue === "mm-map");
    assert.ok(map && typeof (map.output as { cells?: unknown }).cells === "number");
  } finally {
    await store.close();
    await queue.close();
  }
  // The same generate job again: every answer comes from the store.
  await cli(
    "queue",
    "add",
    "generate",
    "--model",
    "zoo-arithmetic",
    "--prompts",
    set,
    "--limit",
    "4",
    "--max-tokens",
    "8",
  );
  assert.deepEqual(await runAll(), { completed: 1, failed: 0, handedBack: 0 });
  const q = await JobQueue.open(db);
  try {
    const last = (await q.list({ state: "completed", limit: 1 }))[0];
    assert.deepEqual(last?.output, { total: 4, generated: 0, resumed: 4, failed: 0 });
  } finally {
    await q.close();
  }
});
