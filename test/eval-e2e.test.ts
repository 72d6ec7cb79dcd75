/**
 * The harness end to end through the CLI with the real llama.cpp engine on a tiny GGUF: results in the harness's
 * layout, stored runs, comparison, task commands, and the same answers from the cache on a second run.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../src/cli/main.ts";
import { evalArgs, makeEvalFixture } from "./support/eval-fixture.ts";
import { checkEvalResults, checkSampleLine } from "./support/lmeval-result-schema.ts";

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

test("modelmap eval on a tiny GGUF: JSON results, output dir, runs, compare, write-out", async () => {
  const f = makeEvalFixture({ mcDocs: 16, genDocs: 4 });
  const db = join(f.dir, "e2e.db");
  const a = io();
  const outDir = join(f.dir, "out");
  assert.equal(await runCli(evalArgs(f, db, ["--output", outDir, "--log-samples", "--write-out"]), a), 0, a.err);
  const res = JSON.parse(a.out) as {
    results: Record<string, Record<string, number | string | null>>;
    groups: Record<string, Record<string, number | null>>;
    config: Record<string, unknown>;
  };
  const mc = res.results.toy_mc ?? assert.fail("no toy_mc");
  assert.equal(mc.n, 16);
  for (const k of ["acc,none", "acc_stderr,none", "acc_norm,none", "acc_norm_stderr,none"])
    assert.equal(typeof mc[k], "number", k);
  assert.equal(mc.random_baseline, 0.25);
  assert.equal(mc.normalized_score, (100 * ((mc["acc_norm,none"] as number) - 0.25)) / 0.75);
  const gen = res.results.toy_gen ?? assert.fail("no toy_gen");
  assert.equal(gen.n, 4);
  assert.equal(typeof gen["exact_match,strict-match"], "number");
  assert.equal(typeof gen["exact_match,flexible-extract"], "number");
  assert.equal(res.groups.toy?.n, 20);
  assert.equal(res.config.chat_template, false);
  assert.equal((res.config.model_identity as { backend: string }).backend, "llama-cpp");
  assert.match(
    a.err,
    /--- toy_mc doc 0 request 0 \(loglikelihood: context\|\|\|continuation\) ---\nQuestion: Item \d+ is painted/,
  );

  // The harness's output layout: DIR/<model>/results_*.json and samples_<task>_*.jsonl, read back with the checks
  // of lm-eval's own result schema.
  const modelDirs = readdirSync(outDir);
  assert.equal(modelDirs.length, 1);
  const files = readdirSync(join(outDir, modelDirs[0] as string));
  const resultsFile = files.find((x) => /^results_.*\.json$/.test(x)) ?? assert.fail(files.join(","));
  const harness = JSON.parse(readFileSync(join(outDir, modelDirs[0] as string, resultsFile), "utf8"));
  assert.deepEqual(checkEvalResults(harness), []);
  assert.equal(harness.results.toy_mc["acc,none"], mc["acc,none"]);
  assert.equal(harness["n-shot"].toy_mc, 1);
  assert.deepEqual(harness["n-samples"].toy_mc, { original: 16, effective: 16 });
  assert.equal(harness.model_name_sanitized, modelDirs[0]);
  assert.deepEqual(Object.keys(harness.task_hashes).sort(), ["toy_gen", "toy_mc"]);
  const samplesFile = files.find((x) => x.startsWith("samples_toy_mc_")) ?? assert.fail(files.join(","));
  const lines = readFileSync(join(outDir, modelDirs[0] as string, samplesFile), "utf8")
    .trim()
    .split("\n");
  assert.equal(lines.length, 16, "one line per document (one filter)");
  const s0 = JSON.parse(lines[0] as string);
  assert.deepEqual(checkSampleLine(s0), []);
  assert.equal(s0.doc_id, 0);
  assert.ok(s0.arguments.gen_args_0.arg_0.startsWith("Question: "));
  assert.equal(s0.resps.length, 4);
  assert.equal(s0.filter, "none");
  assert.deepEqual(s0.metrics, ["acc", "acc_norm"]);
  const genLines = readFileSync(
    join(outDir, modelDirs[0] as string, files.find((x) => x.startsWith("samples_toy_gen_")) as string),
    "utf8",
  )
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(genLines.length, 8, "one line per document and filter");
  for (const l of genLines) assert.deepEqual(checkSampleLine(l), []);
  assert.deepEqual([...new Set(genLines.map((l) => l.filter))], ["strict-match", "flexible-extract"]);
  assert.equal(typeof genLines[0].resps[0][0], "string");

  // The same command again: identical results from the cache.
  const b = io();
  assert.equal(await runCli(evalArgs(f, db), b), 0, b.err);
  assert.deepEqual(JSON.parse(b.out), res);

  // A second model, then runs list/show and compare.
  const f2 = makeEvalFixture({ mcDocs: 16, genDocs: 4, modelSeed: 9, dir: f.dir });
  const c = io();
  assert.equal(await runCli(evalArgs(f2, db), c), 0, c.err);
  const runA = res.config.run_id as string;
  const runB = (JSON.parse(c.out) as { config: { run_id: string } }).config.run_id;
  assert.notEqual(runA, runB);
  const list = io();
  assert.equal(await runCli(["--db", db, "runs", "list"], list), 0);
  assert.ok(list.out.includes(runA) && list.out.includes(runB));
  const show = io();
  assert.equal(await runCli(["--db", db, "runs", "show", runA.slice(0, 8)], show), 0, show.err);
  assert.match(show.out, /toy_mc: 16 samples, 0 errors/);
  const cmp = io();
  assert.equal(await runCli(["--db", db, "runs", "compare", runA, runB, "--format", "json"], cmp), 0, cmp.err);
  const cj = JSON.parse(cmp.out) as {
    tasks: Array<{
      task: string;
      metric: string;
      n: number;
      diff: number;
      lower: number;
      upper: number;
      mcnemar?: { pValue: number };
    }>;
  };
  const acc = cj.tasks.find((t) => t.task === "toy_mc" && t.metric === "acc,none") ?? assert.fail(cmp.out);
  assert.equal(acc.n, 16);
  assert.ok(acc.lower <= acc.diff && acc.diff <= acc.upper);
  assert.ok(acc.mcnemar && acc.mcnemar.pValue >= 0 && acc.mcnemar.pValue <= 1);
  assert.ok(existsSync(db));
});

test("tasks list/show/validate and clear user errors", async () => {
  const f = makeEvalFixture({ mcDocs: 2, genDocs: 1 });
  const l = io();
  assert.equal(await runCli(["tasks", "list", "--tasks-dir", f.tasksDir], l), 0, l.err);
  assert.match(l.out, /toy_mc\s+multiple_choice/);
  assert.match(l.out, /mmlu \(group\)\s+57 members/);
  const s = io();
  assert.equal(await runCli(["tasks", "show", "gsm8k"], s), 0, s.err);
  assert.match(s.out, /regex_pattern/);
  const v = io();
  assert.equal(await runCli(["tasks", "validate", f.tasksDir], v), 0, v.err);
  assert.match(v.out, /2 valid, 0 invalid/);
  writeFileSync(join(f.tasksDir, "broken.yaml"), "task: broken\noutput_type: multiple_choice\ndoc_to_txt: q\n");
  const bad = io();
  assert.equal(await runCli(["tasks", "validate", f.tasksDir], bad), 2);
  assert.match(bad.err, /broken\.yaml, line 3, field 'doc_to_txt': unknown key/);
  const data = io();
  assert.equal(
    await runCli(
      ["tasks", "validate", join(import.meta.dirname, "..", "tasks", "piqa"), "--data-dir", join(f.dir, "empty")],
      data,
    ),
    2,
  );
  assert.match(data.out, /0 valid \(data checked\), 1 invalid/);
  assert.match(data.err, /dataset file not found: .*piqa\/valid\.jsonl/);
  const missing = io();
  assert.equal(
    await runCli(
      [
        "--db",
        join(f.dir, "x.db"),
        "eval",
        "--gguf",
        f.modelPath,
        "--tasks",
        "toy_mc",
        "--tasks-dir",
        join(f.dir, "nowhere"),
      ],
      missing,
    ),
    2,
  );
  assert.match(missing.err, /tasks directory not found/);
  const nodata = io();
  assert.equal(
    await runCli(
      [
        "--db",
        join(f.dir, "x.db"),
        "eval",
        "--gguf",
        f.modelPath,
        "--threads",
        "1",
        "--tasks",
        "gsm8k",
        "--data-dir",
        join(f.dir, "empty"),
      ],
      // No download from the hub in a test: offline, the error still names the shipped map's missing file.
      {
        ...nodata,
        env: { ...process.env, HF_HUB_OFFLINE: "1", MODELMAP_CACHE: join(f.dir, "cache"), HF_HOME: join(f.dir, "hf") },
      },
    ),
    2,
  );
  assert.match(nodata.err, /dataset file not found: .*gsm8k\/test\.jsonl/);
  assert.match(nodata.err, /grade-school-math/);
});

test("a configured model (modelmap.yaml) with its chat template and system prompt; data_dir from the config", async () => {
  const f = makeEvalFixture({ mcDocs: 2, genDocs: 1 });
  writeFileSync(
    join(f.dir, "modelmap.yaml"),
    `data_dir: ./data\nmodels:\n  - id: tiny-chat-instruct\n    backend: llama-cpp\n    file: ${f.modelPath}\n`,
  );
  const a = io();
  const code = await runCli(
    [
      "--db",
      join(f.dir, "cfg.db"),
      "eval",
      "--config",
      join(f.dir, "modelmap.yaml"),
      "--model",
      "tiny-chat-instruct",
      "--tasks",
      "toy_mc",
      "--tasks-dir",
      f.tasksDir,
      "--limit",
      "1",
      "--num-fewshot",
      "0",
      "--chat-template",
      "--system-prompt",
      "Be brief.",
      "--write-out",
      "--format",
      "json",
      "--quiet",
    ],
    { ...a, cwd: f.dir },
  );
  assert.equal(code, 0, a.err);
  // The ChatML template of the tiny model, applied: system turn, user turn, open assistant turn; no leading space.
  assert.match(
    a.err,
    /<\|im_start\|>system\nBe brief\.<\|im_end\|>\n<\|im_start\|>user\nQuestion: Item 0 is painted red\. What colour is item 0\?\nAnswer:<\|im_end\|>\n<\|im_start\|>assistant\n\|\|\|red/,
  );
  const res = JSON.parse(a.out) as { config: Record<string, unknown>; results: Record<string, { n: number }> };
  assert.equal(res.results.toy_mc?.n, 1);
  assert.equal(res.config.chat_template, true);
  assert.equal(res.config.system_prompt, "Be brief.");
  const prompting = res.config.model_prompting as { templateSource: string; templateHash: string };
  assert.equal(prompting.templateSource, "gguf");
  assert.match(prompting.templateHash, /^[0-9a-f]{64}$/);
  // Without the template, an instruction-tuned name gets a warning.
  const b = io();
  assert.equal(
    await runCli(
      [
        "--db",
        join(f.dir, "cfg.db"),
        "eval",
        "--config",
        join(f.dir, "modelmap.yaml"),
        "--model",
        "tiny-chat-instruct",
        "--tasks",
        "toy_mc",
        "--tasks-dir",
        f.tasksDir,
        "--limit",
        "1",
        "--num-fewshot",
        "0",
        "--quiet",
      ],
      { ...b, cwd: f.dir },
    ),
    0,
    b.err,
  );
  assert.match(b.err, /looks instruction-tuned but runs without its chat template/);
});

test("the same tiny model through an OpenAI-compatible server (echo + logprobs) scores like the in-process engine", async () => {
  const f = makeEvalFixture({ mcDocs: 8, genDocs: 2 });
  const { startModelServer } = await import("../src/serve-model/service.ts");
  const server = await startModelServer({
    modelPath: f.modelPath,
    port: 0,
    host: "127.0.0.1",
    cwd: f.dir,
    gpu: false,
    threads: 1,
    modelName: "tiny",
  });
  try {
    const local = io();
    assert.equal(await runCli(evalArgs(f, join(f.dir, "a.db"), ["--quiet", "--tasks", "toy_mc"]), local), 0, local.err);
    const remote = io();
    const args = [
      "--db",
      join(f.dir, "b.db"),
      "eval",
      "--endpoint",
      `${server.url}/v1`,
      "--model-name",
      "tiny",
      "--tasks",
      "toy_mc",
      "--tasks-dir",
      f.tasksDir,
      "--data-dir",
      f.dataDir,
      "--format",
      "json",
      "--quiet",
    ];
    assert.equal(await runCli(args, remote), 0, remote.err);
    const a =
      (JSON.parse(local.out) as { results: Record<string, Record<string, number>> }).results.toy_mc ?? assert.fail();
    const b =
      (JSON.parse(remote.out) as { results: Record<string, Record<string, number>> }).results.toy_mc ?? assert.fail();
    assert.equal(b.n, 8);
    assert.equal(b["acc,none"], a["acc,none"]);
    assert.equal(b["acc_norm,none"], a["acc_norm,none"]);
  } finally {
    await server.close();
  }
});
