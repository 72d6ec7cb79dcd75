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
});
