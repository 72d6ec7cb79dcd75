/**
 * End to end: the Open LLM Leaderboard v2 on a zoo GGUF (a real, tiny model trained by the project), one document
 * per task, in-process through llama.cpp and through `modelmap serve-model` (OpenAI-compatible, loopback), from the
 * shipped tasks and from lm-eval's unchanged `leaderboard/` files. The second source's requests are exactly the
 * first's: on the same store and model every one of them is answered from the request cache (0 sent).
 *
 * Context: the zoo models were trained on 96 tokens; they run here with 2,560 in-process (llama.cpp extrapolates),
 * enough for MATH's 4-shot prompts; longer log-likelihood contexts (MuSR's stories, MMLU-Pro's 5 shots) are cut from
 * the left as lm-eval cuts them. Over HTTP nothing cuts a prompt, so the server holds 6,144. GPQA runs on GPQA-shaped rows the test writes; MMLU-Pro's few-shot pool is made of
 * other test rows (the hub's validation split is not in shared/data).
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { runCli } from "../src/cli/main.ts";
import { startModelServer } from "../src/serve-model/service.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import { capture } from "./support/cli.ts";
import { gpqaMap, mmluProPoolMap } from "./support/leaderboard-v2.ts";
import { lmEvalTasks, SHARED_DATA } from "./support/lmeval-tree.ts";

const ZOO = resolve(import.meta.dirname, "..", "fixtures", "zoo", "zoo-generalist.gguf");
const CTX = "2560";

async function cli(args: string[]) {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(args, { stdout, stderr });
  return { code, out: stdout.text, err: stderr.text };
}

interface EvalJson {
  results: Record<string, Record<string, unknown>>;
  config: { task_hashes: Record<string, string> };
  suite?: {
    columns: Array<{ metric: string; raw: number | null; normalized: number | null; n: number }>;
    table: Record<string, number | null>;
    average: number | null;
    settings: { chatTemplate: boolean; systemPrompt: string | null; limit: number | null };
    map_source: string;
  };
}

/** Runs eval twice, shipped tasks then lm-eval's leaderboard/ files: the second sends nothing. */
async function bothSources(base: string[]) {
  const shipped = await cli([...base, "--format", "json"]);
  assert.equal(shipped.code, 0, shipped.err);
  const lmEval = await cli([...base, "--include-path", join(lmEvalTasks(), "leaderboard")]);
  assert.equal(lmEval.code, 0, lmEval.err);
  // Every request of lm-eval's definitions was already answered for the shipped ones: the same requests.
  const stats = /run \w+: (\d+) documents, (\d+) requests \((\d+) from cache, (\d+) sent\)/.exec(lmEval.err);
  assert.ok(stats, lmEval.err);
  assert.equal(stats[4], "0", "lm-eval's files asked for requests the shipped tasks did not");
  assert.equal(stats[2], stats[3]);
  const again = await cli([...base, "--include-path", join(lmEvalTasks(), "leaderboard"), "--format", "json"]);
  assert.equal(again.code, 0, again.err);
  const a = JSON.parse(shipped.out) as EvalJson;
  const b = JSON.parse(again.out) as EvalJson;
  // Different definitions (their hashes differ), the same scores.
  for (const t of Object.keys(a.results)) {
    assert.notEqual(a.config.task_hashes[t], b.config.task_hashes[t], `${t}: lm-eval's file was not the one used`);
    const metrics = (r: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(r).filter(([k]) => k.includes(",") && !k.includes("_stderr")));
    assert.deepEqual(metrics(b.results[t] ?? {}), metrics(a.results[t] ?? {}), t);
  }
  return { shipped: a, lmEval: b };
}

test("--suite open-llm-v2 on a zoo GGUF in-process: every v2 task, the leaderboard's columns, the map row; lm-eval's files ask the same", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mm-v2-suite-"));
  const db = join(dir, "m.db");
  const base = [
    "--db",
    db,
    "eval",
    "--suite",
    "open-llm-v2",
    "--gguf",
    ZOO,
    "--ctx-size",
    CTX,
    "--threads",
    "1",
    "--limit",
    "1",
    "--data-dir",
    SHARED_DATA,
    "--dataset-map",
    gpqaMap(),
    "--dataset-map",
    mmluProPoolMap(),
    "--bootstrap-iters",
    "100",
  ];
  const { shipped } = await bothSources(base);
  // 39 tasks: IFEval, 24 BBH, 7 MATH, 3 GPQA, 3 MuSR, MMLU-Pro; one document each, none failed.
  assert.equal(Object.keys(shipped.results).length, 39);
  for (const [t, r] of Object.entries(shipped.results)) {
    assert.equal(r.n, 1, t);
    assert.equal(r.n_errors, 0, t);
  }
  for (const t of ["leaderboard_ifeval", "leaderboard_math_precalculus_hard", "leaderboard_gpqa_diamond"])
    assert.ok(shipped.results[t], `${t} ran`);
  const suite = shipped.suite;
  assert.ok(suite);
  assert.deepEqual(
    suite.columns.map((c) => c.metric),
    ["ifeval", "bbh", "math-lvl5", "gpqa", "musr", "mmlu-pro"],
  );
  for (const c of suite.columns) {
    assert.equal(typeof c.raw, "number", c.metric);
    assert.ok((c.normalized ?? -1) >= 0 && (c.normalized ?? 101) <= 100, c.metric);
  }
  assert.deepEqual(
    suite.columns.map((c) => c.n),
    [1, 24, 7, 3, 3, 1],
  );
  assert.equal(Object.keys(suite.table).length, 13);
  assert.equal(suite.table.model_average_score, suite.columns.reduce((a, c) => a + (c.normalized ?? 0), 0) / 6);
  assert.deepEqual(suite.settings, { chatTemplate: false, systemPrompt: null, fewshotAsMultiturn: false, limit: 1 });
  // The row is on the capability map, under the importer's metric names, beside imported leaderboard rows.
  const store = openStore(db);
  try {
    const ev = await store.capmap.evidence({ source: suite.map_source });
    assert.deepEqual(ev.map((e) => e.metric).sort(), ["bbh", "gpqa", "ifeval", "math-lvl5", "mmlu-pro", "musr"]);
    assert.ok(ev.every((e) => e.modelId === "gguf:zoo-generalist.gguf"));
  } finally {
    await store.close();
  }
  // The text output prints the leaderboard's columns with the settings.
  const text = await cli(base);
  assert.equal(text.code, 0, text.err);
  assert.match(
    text.out,
    /Open LLM Leaderboard v2: gguf:zoo-generalist\.gguf\nsettings: chat template off, system prompt none/,
  );
  assert.match(text.out, /\nMMLU-PRO +\d\.\d{4} +\d+\.\d\d +0\.1 +1\n/);
  assert.match(text.out, /\nAverage +\d+\.\d\d\n/);
});

test("each v2 benchmark through modelmap serve-model (HTTP, loopback): one task of each, from both sources", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mm-v2-serve-"));
  const server = await startModelServer({
    modelPath: ZOO,
    port: 0,
    host: "127.0.0.1",
    cwd: dir,
    gpu: false,
    threads: 1,
    // Over HTTP a prompt longer than the server's context is an error (the client sends text, not tokens, so
    // nothing cuts it): the server gets room for MMLU-Pro's 5-shot prompts (~5,600 byte tokens).
    contextSize: 6144,
    modelName: "zoo-generalist",
  });
  try {
    const tasks = [
      "leaderboard_ifeval",
      "leaderboard_bbh_date_understanding",
      "leaderboard_math_algebra_hard",
      "leaderboard_gpqa_main",
      "leaderboard_musr_team_allocation",
      "leaderboard_mmlu_pro",
    ];
    const { shipped } = await bothSources([
      "--db",
      join(dir, "m.db"),
      "eval",
      "--endpoint",
      `${server.url}/v1`,
      "--model-name",
      "zoo-generalist",
      "--tasks",
      tasks.join(","),
      "--limit",
      "1",
      "--data-dir",
      SHARED_DATA,
      "--dataset-map",
      gpqaMap(),
      "--dataset-map",
      mmluProPoolMap(),
    ]);
    assert.deepEqual(Object.keys(shipped.results).sort(), [...tasks].sort());
    for (const [t, r] of Object.entries(shipped.results)) {
      assert.equal(r.n, 1, t);
      assert.equal(r.n_errors, 0, t);
    }
    // IFEval's four metrics and MATH's two are there: the scorer ran the tasks' process_results hooks.
    for (const k of ["prompt_level_strict_acc,none", "inst_level_strict_acc,none", "prompt_level_loose_acc,none"])
      assert.equal(typeof shipped.results.leaderboard_ifeval?.[k], "number", k);
    for (const k of ["exact_match,none", "exact_match_original,none"])
      assert.equal(typeof shipped.results.leaderboard_math_algebra_hard?.[k], "number", k);
    assert.equal(typeof shipped.results.leaderboard_mmlu_pro?.["acc,none"], "number");
  } finally {
    await server.close();
  }
});
