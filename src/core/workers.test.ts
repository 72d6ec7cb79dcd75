import assert from "node:assert/strict";
import { test } from "node:test";
import { workerExecArgv } from "./workers.ts";

test("worker flags: the process's own, less --input-type in either spelling", () => {
  assert.deepEqual(workerExecArgv(["--import", "tsx", "--input-type=module", "--max-old-space-size=512"]), [
    "--import",
    "tsx",
    "--max-old-space-size=512",
  ]);
  assert.deepEqual(workerExecArgv(["--input-type", "module", "--enable-source-maps"]), ["--enable-source-maps"]);
  assert.deepEqual(workerExecArgv([]), []);
  assert.deepEqual(workerExecArgv(["--import", "tsx", "-e", "--x", "--eval=1", "-p", "2", "--no-warnings"]), [
    "--import",
    "tsx",
    "--no-warnings",
  ]);
});

test("newWorker drops the flags a worker refuses (named in Node's error) and keeps the rest", async () => {
  const { spawnSync } = await import("node:child_process");
  // A child process with V8's and process-wide flags among its own, starting a worker through newWorker.
  const code = `
    const { newWorker, workerExecArgv } = await import(${JSON.stringify(new URL("./workers.ts", import.meta.url).href)});
    const w = newWorker("require('node:worker_threads').parentPort.postMessage(process.execArgv)", { eval: true });
    w.once("message", (argv) => { console.log(JSON.stringify({ argv, next: workerExecArgv() })); w.terminate(); });
  `;
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", "--max-old-space-size=300", "--title", "mm-workers-test", "--input-type=module", "-e", code],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { argv: string[]; next: string[] };
  assert.deepEqual(out.next, ["--import", "tsx"], "refused flags stay dropped for later workers");
  assert.deepEqual(out.argv, ["--import", "tsx"]);
});
