/**
 * lm-eval's files written from the typed run log: read back with the checks of lm-eval's result schema, and the
 * per-sample hashes and `task_hashes` recomputed by Python as lm-eval's `evaluator.py` and
 * `evaluation_tracker.py` compute them (`hash_string(json.dumps(doc, indent=2, ensure_ascii=False))`, ...).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { checkEvalResults, checkSampleLine } from "../../test/support/lmeval-result-schema.ts";
import { ScriptedBackend } from "../../test/support/scripted-backend.ts";
import { sharedData } from "../../test/support/shared-data.ts";
import { openStore } from "../store/sqlite/index.ts";
import { dateId, sanitizeModelName } from "./lmeval-format.ts";
import { runEval } from "./run-eval.ts";
import { harnessPaths, loadRegistry, writeHarnessFiles } from "./service.ts";

const PYTHON = "/usr/bin/python3";

/** lm-eval's hashes of each line and of the file, computed by Python from the line's own fields. */
function pythonHashes(file: string): { lines: Array<[string, string, string]>; task: string } {
  const script = [
    "import hashlib, json, sys",
    "h = lambda s: hashlib.sha256(s.encode('utf-8')).hexdigest()",
    "lines = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]",
    "out = [[h(json.dumps(x['doc'], indent=2, ensure_ascii=False)), h(x['arguments']['gen_args_0']['arg_0']), h(str(x['target']))] for x in lines]",
    "print(json.dumps({'lines': out, 'task': h(''.join(x['doc_hash'] + x['prompt_hash'] + x['target_hash'] for x in lines))}))",
  ].join("\n");
  const r = spawnSync(PYTHON, ["-c", script, file], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { lines: Array<[string, string, string]>; task: string };
}

test("results and samples files pass lm-eval's schema checks; Python recomputes every hash", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mm-lmeval-files-"));
  const store = openStore(join(dir, "db.sqlite"));
  try {
    const { tasks, groups } = loadRegistry().resolve(["arc_easy", "gsm8k"]);
    // One arc_easy document fails: it is counted and left out of lm-eval's files, which have no place for it.
    const run = await runEval(store, new ScriptedBackend({ name: "org/model-a", failOn: "Which of these" }), {
      modelId: "org/model-a",
      tasks,
      groups,
      dataDir: sharedData(),
      prompt: { chatTemplate: false, fewshotAsMultiturn: false, seed: 1234, numFewshot: 0 },
      limit: 12,
    });
    const failed = run.log.results.arc_easy?.nErrors ?? 0;
    assert.ok(failed >= 1, "the chosen failure happens");
    const out = join(dir, "out");
    const now = new Date(2026, 0, 2, 3, 4, 5, 678);
    const files = await writeHarnessFiles(store, run.runId, { output: out, logSamples: true, now });
    assert.equal(files.resultsFile, join(out, "org__model-a", `results_${dateId(now)}.json`));
    assert.equal(dateId(now), "2026-01-02T03-04-05.678000");

    const results = JSON.parse(readFileSync(files.resultsFile, "utf8")) as Record<string, unknown>;
    assert.deepEqual(checkEvalResults(results), []);
    const r = results as {
      results: Record<string, Record<string, unknown>>;
      versions: Record<string, unknown>;
      "n-samples": Record<string, { original: number; effective: number }>;
      higher_is_better: Record<string, Record<string, boolean>>;
      task_hashes: Record<string, string>;
      config: Record<string, unknown>;
    };
    assert.equal(r.results.arc_easy?.sample_len, 12 - failed);
    assert.equal(r.results.arc_easy?.["acc,none"], run.results.arc_easy?.["acc,none"]);
    assert.equal(typeof r.results.gsm8k?.["exact_match,flexible-extract"], "number");
    assert.deepEqual(r.higher_is_better.arc_easy, { acc: true, acc_norm: true });
    assert.ok((r["n-samples"].arc_easy?.original ?? 0) > 12, "original: the split's size, not the limit");
    assert.equal(r["n-samples"].arc_easy?.effective, 12);
    assert.equal(r.config.limit, 12);
    assert.equal(r.config.fewshot_seed, 1234);

    const byTask = new Map(
      readdirSync(join(out, "org__model-a"))
        .filter((f) => f.startsWith("samples_"))
        .map((f) => [f.slice("samples_".length, f.lastIndexOf("_")), join(out, "org__model-a", f)]),
    );
    assert.deepEqual([...byTask.keys()].sort(), ["arc_easy", "gsm8k"]);
    const arc = readFileSync(byTask.get("arc_easy") as string, "utf8")
      .trim()
      .split("\n");
    assert.equal(arc.length, 12 - failed, "one line per scored document (one filter)");
    const gsm = readFileSync(byTask.get("gsm8k") as string, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(gsm.length, 2 * 12, "one line per document and filter");
    assert.deepEqual(
      gsm.map((l) => l.filter),
      [...Array(12).fill("strict-match"), ...Array(12).fill("flexible-extract")],
      "filter by filter, documents in order, as lm-eval writes them",
    );
    for (const [task, file] of byTask) {
      const lines = readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      for (const [i, l] of lines.entries()) assert.deepEqual(checkSampleLine(l, `${task}[${i}]`), []);
      if (!existsSync(PYTHON)) continue;
      const py = pythonHashes(file);
      assert.deepEqual(
        lines.map((l) => [l.doc_hash, l.prompt_hash, l.target_hash]),
        py.lines,
        `${task}: per-line hashes`,
      );
      assert.equal(r.task_hashes[task], py.task, `${task}: task hash`);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("output paths follow lm-eval: DIR/<sanitized model>/, or beside a path ending in .json", () => {
  assert.equal(sanitizeModelName('org/m:1 "x" <y>|z?*[q]'), "org__m__1 __x__ __y__z__q__");
  assert.deepEqual(harnessPaths("/o", "org/m", "S"), { dir: "/o/org__m", results: "/o/org__m/results_S.json" });
  assert.deepEqual(harnessPaths("/o/run.json", "org/m", "S"), { dir: "/o", results: "/o/run_S.json" });
});
