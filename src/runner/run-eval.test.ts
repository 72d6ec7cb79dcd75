import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { SHARED_DATA } from "../../test/support/lmeval-tree.ts";
import { ScriptedBackend } from "../../test/support/scripted-backend.ts";
import { ModelmapError } from "../core/errors.ts";
import { collect } from "../core/iter.ts";
import { openStore } from "../store/sqlite/index.ts";
import { TaskRegistry } from "../tasks/loader.ts";
import { type EvalOptions, runEval } from "./run-eval.ts";

function fixture(n = 30): { dir: string; tasksDir: string } {
  const dir = mkdtempSync(join(tmpdir(), "mm-eval-"));
  const tasksDir = join(dir, "tasks");
  const data = join(dir, "data");
  mkdirSync(tasksDir);
  mkdirSync(data);
  const mc = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ q: `What is ${i}+1?`, options: [`${i + 1} right`, `${i + 2}`, `${i}`], gold: 0 }),
  );
  writeFileSync(join(data, "mc.jsonl"), `${mc.join("\n")}\n`);
  const gen = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ question: `Q${i}`, answer: `work\n#### ${i % 10}` }),
  );
  writeFileSync(join(data, "gen.jsonl"), `${gen.join("\n")}\n`);
  writeFileSync(
    join(tasksDir, "mc.yaml"),
    `task: toy_mc
tag: toy
dataset_path: .
data_files: { test: mc.jsonl, train: mc.jsonl }
test_split: test
fewshot_split: train
output_type: multiple_choice
doc_to_text: "Question: {{q}}\\nAnswer:"
doc_to_choice: options
doc_to_target: gold
num_fewshot: 2
metric_list: [{ metric: acc }, { metric: acc_norm }]
`,
  );
  writeFileSync(
    join(tasksDir, "gen.yaml"),
    `task: toy_gen
tag: toy
dataset_path: .
data_files: gen.jsonl
output_type: generate_until
doc_to_text: "Question: {{question}}\\nAnswer:"
doc_to_target: "{{answer}}"
generation_kwargs: { until: ["Question:"], max_gen_toks: 32 }
filter_list:
  - name: strict-match
    filter: [{ function: regex, regex_pattern: "#### (\\\\-?[0-9\\\\.\\\\,]+)" }, { function: take_first }]
  - name: flexible-extract
    filter: [{ function: regex, regex_pattern: "(-?[$0-9.,]{2,})|(-?[0-9]+)", group_select: -1 }, { function: take_first }]
metric_list: [{ metric: exact_match, ignore_case: true, regexes_to_ignore: [",", "\\\\$", "(?s).*#### ", "\\\\.$"] }]
`,
  );
  return { dir, tasksDir: tasksDir };
}

function options(
  tasksDir: string,
  dataDir: string,
  extra: Partial<EvalOptions> = {},
  numFewshot?: number,
): EvalOptions {
  const reg = TaskRegistry.load([tasksDir]);
  const { tasks, groups } = reg.resolve(["toy"]);
  const prompt = {
    chatTemplate: false,
    fewshotAsMultiturn: false,
    seed: 1234,
    ...(numFewshot === undefined ? {} : { numFewshot }),
  };
  return { modelId: "m", tasks, groups, dataDir, prompt, ...extra };
}

test("a run scores every document, merges identical requests and resumes from the cache", async () => {
  const { dir, tasksDir } = fixture();
  const store = openStore(join(dir, "db.sqlite"));
  const b1 = new ScriptedBackend({ prefer: "right" });
  const r1 = await runEval(store, b1, options(tasksDir, join(dir, "data"), { window: 7 }));
  assert.equal(r1.results.toy_mc?.n, 30);
  assert.equal(r1.results.toy_mc?.["acc,none"], 1, "the preferred (correct) choice wins every item");
  assert.equal(r1.results.toy_mc?.random_baseline, 1 / 3);
  assert.equal(r1.results.toy_mc?.normalized_score, 100);
  assert.ok(typeof r1.results.toy_gen?.["exact_match,strict-match"] === "number");
  assert.equal(r1.results.toy_gen?.n, 30);
  assert.equal(r1.groups.toy?.n, 60);
  assert.equal(b1.llRequests, 90);
  // Same command again: everything comes from the cache, identical results, same run id.
  const b2 = new ScriptedBackend({ prefer: "right" });
  const r2 = await runEval(store, b2, options(tasksDir, join(dir, "data"), { window: 11 }));
  assert.equal(b2.llRequests + b2.genCalls, 0);
  assert.equal(r2.runId, r1.runId);
  assert.deepEqual(r2.results, r1.results);
  assert.equal((await collect(store.evals.iterateSamples(r1.runId))).length, 60, "no duplicate samples");
  await store.close();
});

test("backend failures become per-sample errors, kept on resume unless --retry-errors", async () => {
  const { dir, tasksDir } = fixture(10);
  const store = openStore(join(dir, "db.sqlite"));
  const bad = new ScriptedBackend({ failOn: "What is 3+1?" });
  const r1 = await runEval(store, bad, options(tasksDir, join(dir, "data"), {}, 0));
  assert.equal(r1.results.toy_mc?.n, 9);
  assert.equal(r1.results.toy_mc?.n_errors, 1);
  const good = new ScriptedBackend();
  const r2 = await runEval(store, good, options(tasksDir, join(dir, "data"), {}, 0));
  assert.equal(r2.results.toy_mc?.n_errors, 1, "recorded errors are kept without --retry-errors");
  assert.equal(good.llRequests, 0);
  const r3 = await runEval(store, good, options(tasksDir, join(dir, "data"), { retryErrors: true }, 0));
  assert.equal(r3.results.toy_mc?.n_errors, 0);
  assert.equal(r3.results.toy_mc?.n, 10);
  assert.ok(good.llRequests > 0 && good.llRequests <= 3 * 3, "only the failed document's requests are re-sent");
  await store.close();
});

test("loglikelihood_rolling tasks report perplexities from summed log-likelihoods", async () => {
  const { dir, tasksDir } = fixture(5);
  writeFileSync(
    join(tasksDir, "roll.yaml"),
    "task: toy_roll\ndata_files: gen.jsonl\noutput_type: loglikelihood_rolling\ndoc_to_target: question\n",
  );
  const reg = TaskRegistry.load([tasksDir]);
  const { tasks } = reg.resolve(["toy_roll"]);
  const store = openStore(":memory:");
  const b = new ScriptedBackend();
  const r = await runEval(store, b, {
    modelId: "m",
    tasks,
    groups: [],
    dataDir: join(dir, "data"),
    prompt: { chatTemplate: false, fewshotAsMultiturn: false, seed: 1 },
  });
  const texts = ["Q0", "Q1", "Q2", "Q3", "Q4"];
  const rolled = await b.loglikelihoodRolling(texts);
  const lp = rolled.reduce((a, x) => a + x.logprob, 0);
  const tokens = rolled.reduce((a, x) => a + x.tokenCount, 0);
  assert.equal(r.results.toy_roll?.n, 5);
  assert.ok(Math.abs((r.results.toy_roll?.["perplexity,none"] as number) - Math.exp(-lp / tokens)) < 1e-9);
  assert.ok(Math.abs((r.results.toy_roll?.["word_perplexity,none"] as number) - Math.exp(-lp / 5)) < 1e-9);
  await store.close();
});

test("every task's missing data is named before the first request: GPQA's files and MMLU-Pro's few-shot pool at once", async () => {
  const reg = TaskRegistry.load([resolve(import.meta.dirname, "..", "..", "tasks")]);
  // MMLU-Pro is last in the suite: without this check its missing pool stopped the run after every other task.
  const { tasks, groups } = reg.resolve(["leaderboard_bbh_navigate", "leaderboard_gpqa_main", "leaderboard_mmlu_pro"]);
  const store = openStore(":memory:");
  const b = new ScriptedBackend();
  const prompt = { chatTemplate: false, fewshotAsMultiturn: false, seed: 1234 };
  await assert.rejects(
    runEval(store, b, { modelId: "m", tasks, groups, dataDir: SHARED_DATA, prompt, limit: 1 }),
    (e) => {
      assert.ok(e instanceof ModelmapError && e.code === "not_found");
      assert.match(e.message, /^2 tasks lack data; nothing was run:/);
      assert.match(e.message, /leaderboard_gpqa_main': dataset file not found: .*gpqa_main\.csv/);
      assert.match(
        e.message,
        /leaderboard_mmlu_pro' uses split 'validation', which the local copy lacks \(TIGER-Lab\/MMLU-Pro/,
      );
      assert.match(e.hint ?? "", /password-protected[\s\S]*\n {2}hint: MMLU-Pro's 5-shot examples/);
      return true;
    },
  );
  assert.equal(b.llRequests + b.genCalls, 0);
  await store.close();
});

test("a few-shot pool file that is not there stops the run before its first request", async () => {
  const { dir, tasksDir } = fixture(5);
  writeFileSync(
    join(tasksDir, "mc.yaml"),
    "task: toy_mc\ntag: toy\ndataset_path: .\ndata_files: { test: mc.jsonl, train: pool.jsonl }\ntraining_split: train\noutput_type: multiple_choice\n" +
      'doc_to_text: "{{q}}"\ndoc_to_choice: options\ndoc_to_target: gold\nnum_fewshot: 2\n',
  );
  const store = openStore(":memory:");
  const b = new ScriptedBackend();
  await assert.rejects(
    runEval(store, b, options(tasksDir, join(dir, "data"))),
    /toy_mc': dataset file not found: .*pool\.jsonl/,
  );
  assert.equal(b.llRequests + b.genCalls, 0);
  // Zero-shot needs no pool.
  const r = await runEval(store, b, options(tasksDir, join(dir, "data"), {}, 0));
  assert.equal(r.results.toy_mc?.n, 5);
  await store.close();
});
