/**
 * Failing loudly through the CLI: a task none of whose requests could be answered exits 1 and names the reason
 * (a real OpenAI-compatible server that, like llama.cpp's, ignores `echo`), and a run that stops on an error is
 * recorded as failed with its reason, never left `running`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../src/cli/main.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import { makeEvalFixture } from "./support/eval-fixture.ts";
import { startFaultServer } from "./support/fault-server.ts";

function io() {
  let out = "";
  let err = "";
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    get out() {
      return out;
    },
    get err() {
      return err;
    },
  };
}

test("eval exits 1 when every request of a task failed, naming the reason and the first message", async () => {
  // Prompt scoring gets completions without the prompt's log-probabilities; generations are answered.
  const server = await startFaultServer({ script: (_n, r) => ({ kind: r.body?.echo === true ? "no-echo" : "ok" }) });
  try {
    const f = makeEvalFixture({ mcDocs: 6, genDocs: 3 });
    const db = join(f.dir, "f.db");
    const args = ["--db", db, "eval", "--endpoint", server.url, "--model-name", "toy", "--tasks", "toy"];
    const rest = ["--tasks-dir", f.tasksDir, "--data-dir", f.dataDir, "--num-fewshot", "0", "--quiet"];
    const a = io();
    assert.equal(await runCli([...args, ...rest, "--format", "json"], a), 1, a.err);
    const res = JSON.parse(a.out) as { results: Record<string, Record<string, unknown>>; config: { run_id: string } };
    assert.equal(res.results.toy_mc?.n, 0);
    assert.equal(res.results.toy_mc?.n_errors, 6);
    assert.equal(res.results.toy_gen?.n, 3, "the other task is scored");
    assert.match(
      a.err,
      /task 'toy_mc': every document failed \(6\): 6 unsupported; first: .*no prompt log-probabilities/,
    );
    assert.match(a.err, /error: every request of 'toy_mc' failed; no score was computed/);
    assert.doesNotMatch(a.err, /toy_gen/);

    // The run itself finished (what it could score is stored); `runs show` names the failures.
    const show = io();
    assert.equal(await runCli(["--db", db, "runs", "show", res.config.run_id], show), 0, show.err);
    assert.match(show.out, /\(complete\)/);
    assert.match(show.out, /toy_mc: 6 samples, 6 errors/);
    assert.match(show.out, /task 'toy_mc': every document failed \(6\): 6 unsupported/);

    // A task with some failures and some scores is not a failed command.
    const some = await startFaultServer({
      script: (_n, r) => ({
        kind: r.body?.echo === true && String(r.body.prompt).includes("Item 2 ") ? "no-echo" : "ok",
      }),
    });
    try {
      const b = io();
      const argsB = ["--db", db, "eval", "--endpoint", some.url, "--model-name", "toy2", "--tasks", "toy_mc"];
      assert.equal(await runCli([...argsB, ...rest], b), 0, b.err);
      assert.match(b.err, /task 'toy_mc': 1 of 6 documents failed: 1 unsupported; first: /);
    } finally {
      await some.close();
    }
  } finally {
    await server.close();
  }
});

test("a run stopped by an error is recorded as failed with its reason; fixed, the same command completes it", async () => {
  const server = await startFaultServer();
  try {
    const f = makeEvalFixture({ mcDocs: 4, genDocs: 2 });
    const db = join(f.dir, "f.db");
    const args = (dataDir: string) => [
      "--db",
      db,
      "eval",
      "--endpoint",
      server.url,
      "--model-name",
      "toy",
      "--tasks",
      "toy",
      "--tasks-dir",
      f.tasksDir,
      "--data-dir",
      dataDir,
      "--quiet",
    ];
    const a = io();
    assert.equal(await runCli(args(join(f.dir, "no-such-data")), a), 2, a.err);
    assert.match(a.err, /no-such-data/);
    const l = io();
    assert.equal(await runCli(["--db", db, "runs", "list", "--format", "json"], l), 0, l.err);
    const listed = JSON.parse(l.out) as Array<{ id: string; status: string }>;
    assert.deepEqual(
      listed.map((r) => r.status),
      ["failed"],
    );
    const show = io();
    assert.equal(await runCli(["--db", db, "runs", "show", listed[0]?.id ?? "", "--format", "json"], show), 0);
    const shown = JSON.parse(show.out) as { failure: { reason: string; message: string } };
    assert.equal(shown.failure.reason, "not_found");
    assert.match(shown.failure.message, /no-such-data/);

    // The data dir is part of no run's identity: with the right one, the same run completes.
    const b = io();
    assert.equal(await runCli(args(f.dataDir), b), 0, b.err);
    const store = openStore(db);
    try {
      const runs = await store.evals.listRuns();
      assert.equal(runs.length, 1);
      assert.equal(runs[0]?.status, "complete");
      assert.equal(runs[0]?.failure, null);
    } finally {
      await store.close();
    }
  } finally {
    await server.close();
  }
});
