import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { sharedDataPath } from "../../../../test/support/python-reference.ts";
import { lookupHook } from "../registry.ts";

const tarball = sharedDataPath("lm_eval_tasks/lm_eval_tasks.tar.gz");
const fromTree = (path: string) => execFileSync("tar", ["xzOf", tarball, `lm_eval/tasks/${path}`]);

const docs = readFileSync(sharedDataPath("ifeval/input_data.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as Record<string, unknown>);

test("lm-eval's ifeval and leaderboard/ifeval utils.py resolve to the native hooks", () => {
  for (const path of ["leaderboard/ifeval/utils.py", "ifeval/utils.py"]) {
    const source = fromTree(path);
    const pr = lookupHook(source, "process_results");
    assert.ok(pr.ok && pr.fn.kind === "process_results", path);
    const agg = lookupHook(source, "agg_inst_level_acc");
    assert.ok(agg.ok && agg.fn.kind === "aggregation", path);
    const missing = lookupHook(source, "no_such_hook");
    assert.ok(!missing.ok && missing.reason === "unknown-function");
  }
  const edited = Buffer.concat([fromTree("leaderboard/ifeval/utils.py"), Buffer.from("\n# edited\n")]);
  assert.deepEqual(lookupHook(edited, "process_results"), { ok: false, reason: "unknown-module" });
});

test("process_results takes the hub's rows (every kwarg key, unused ones null) and agg_inst_level_acc averages", () => {
  const source = fromTree("leaderboard/ifeval/utils.py");
  const pr = lookupHook(source, "process_results");
  const agg = lookupHook(source, "agg_inst_level_acc");
  if (!pr.ok || pr.fn.kind !== "process_results" || !agg.ok || agg.fn.kind !== "aggregation")
    throw new Error("hooks not found");
  const processResults = pr.fn.fn;
  const allKeys = [...new Set(docs.flatMap((d) => (d["kwargs"] as object[]).flatMap((k) => Object.keys(k))))];
  const doc = docs.find((d) => d["key"] === 1001) as Record<string, unknown>;
  const hubDoc = {
    ...doc,
    kwargs: (doc["kwargs"] as Array<Record<string, unknown>>).map((k) => ({
      ...Object.fromEntries(allKeys.map((key) => [key, null])),
      ...k,
    })),
  };
  const response = "I refuse to use commas here\n\nand I will not";
  const local = pr.fn.fn(doc, [response]);
  assert.deepEqual(pr.fn.fn(hubDoc, [response]), local);
  assert.deepEqual(Object.keys(local).sort(), [
    "inst_level_loose_acc",
    "inst_level_strict_acc",
    "prompt_level_loose_acc",
    "prompt_level_strict_acc",
  ]);
  assert.equal(agg.fn.fn([[true, false], [true], [false, false, true]]), 3 / 6);
  assert.throws(() => processResults({ prompt: "x" }, [response]), /not an IFEval document/);
});
