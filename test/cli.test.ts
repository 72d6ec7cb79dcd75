import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { COMMANDS, findCommand, helpText } from "../src/cli/commands.ts";
import { runCli } from "../src/cli/main.ts";
import { capture, runCaptured } from "./support/cli.ts";

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

test("a mistyped command or flag gets a 'did you mean'", async () => {
  const evl = await runCaptured(["evl"]);
  assert.equal(evl.code, 2);
  assert.match(evl.err, /unknown command 'evl'\n {2}hint: did you mean 'modelmap eval'\?/);
  const task = await runCaptured(["eval", "--task", "x"]);
  assert.equal(task.code, 2);
  assert.match(task.err, /Unknown option '--task'[\s\S]*hint: did you mean --tasks\?/);
});

test("a file that is not a GGUF, passed as --gguf, is a user error (exit 2) saying so", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mm-notgguf-"));
  try {
    const r = await runCaptured([
      "--db",
      join(dir, "db.sqlite"),
      "eval",
      "--gguf",
      "README.md",
      "--tasks",
      "synthetic_math_mc",
    ]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /README\.md is not a GGUF file/);
    const missing = await runCaptured([
      "--db",
      join(dir, "db.sqlite"),
      "eval",
      "--gguf",
      join(dir, "nope.gguf"),
      "--tasks",
      "x",
    ]);
    assert.equal(missing.code, 2, missing.err);
    assert.match(missing.err, /nope\.gguf does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the bin exits with the command's code", () => {
  const r = spawnSync(process.execPath, ["bin/modelmap.js", "--version"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /modelmap \d+\.\d+\.\d+/);
  const bad = spawnSync(process.execPath, ["bin/modelmap.js", "frobnicate"], { encoding: "utf8" });
  assert.equal(bad.status, 2);
});

test("renamed commands: each old spelling runs the new command, with a one-line notice on stderr", async () => {
  const renamed = COMMANDS.flatMap((c) => (c.deprecatedNames ?? []).map((old) => ({ old, now: c.name })));
  assert.deepEqual(renamed.map((r) => `${r.old} -> ${r.now}`).sort(), [
    "compare -> runs compare",
    "compare-models -> map compare",
    "import -> map import",
  ]);
  for (const { old, now } of renamed) {
    assert.equal(findCommand(old.split(" "))?.command.name, now);
    assert.equal(findCommand(now.split(" "))?.deprecatedName, undefined);
    assert.match(await helpText([]), new RegExp(`\\n  ${old} +now '${now}'\\n`));
    assert.equal(await helpText(old.split(" ")), await helpText(now.split(" ")));
  }
  // Same exit code and message through either name; only the old one adds the notice.
  const dir = mkdtempSync(join(tmpdir(), "modelmap-cli-"));
  try {
    const db = join(dir, "m.db");
    const now = await runCaptured(["--db", db, "runs", "compare", "nope-a", "nope-b"]);
    const old = await runCaptured(["--db", db, "compare", "nope-a", "nope-b"]);
    assert.equal(now.code, 2, now.err);
    assert.match(now.err, /nope-a/);
    assert.equal(old.code, now.code);
    assert.equal(
      old.err,
      `modelmap: 'compare' is deprecated and goes away in the next release; use 'modelmap runs compare'\n${now.err}`,
    );
    assert.equal(old.out, now.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--db :memory: is an in-memory database, not a file named ':memory:' in the working directory", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mm-mem-"));
  try {
    const r = await runCaptured(["--db", ":memory:", "votes", "list"], { cwd: dir });
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
