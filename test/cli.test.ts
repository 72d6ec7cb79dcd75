import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { runCli } from "../src/cli/main.ts";
import { capture } from "./support/cli.ts";

test("help lists commands and exits 0", async () => {
  const out = capture();
  assert.equal(await runCli(["help"], { stdout: out, stderr: capture() }), 0);
  assert.match(out.text, /usage: modelmap/);
});

test("an unknown command is a user error with exit code 2", async () => {
  const err = capture();
  assert.equal(await runCli(["no-such-command"], { stdout: capture(), stderr: err }), 2);
  assert.match(err.text, /unknown command 'no-such-command'/);
});

test("the bin runs through tsx and exits with the command's code", () => {
  const r = spawnSync(process.execPath, ["bin/modelmap.js", "--version"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /modelmap \d+\.\d+\.\d+/);
  const bad = spawnSync(process.execPath, ["bin/modelmap.js", "frobnicate"], { encoding: "utf8" });
  assert.equal(bad.status, 2);
});
