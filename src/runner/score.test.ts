import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ScriptedBackend } from "../../test/support/scripted-backend.ts";
import type { MetricValue } from "../store/run-log.ts";
import { openStore } from "../store/sqlite/index.ts";
import { bleu, bootstrapStderr, chrf, f1Score, matthewsCorrcoef, meanStderr } from "../tasks/aggregations.ts";
import { sha256Hex } from "../tasks/hooks/registry.ts";
import type { HookModule } from "../tasks/hooks/types.ts";
import { aggInstLevelAcc, IfevalDocSchema, ifevalProcessResults } from "../tasks/ifeval/evaluate.ts";
import { TaskRegistry } from "../tasks/loader.ts";
import { aggregateSubtaskMetrics, pooledSampleStderr } from "./results.ts";
import { type EvalOptions, runEval } from "./run-eval.ts";
import { loadRegistry } from "./service.ts";

const SHARED = join(import.meta.dirname, "..", "..", "..", "shared", "data");

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), "mm-score-"));
  for (const [n, t] of Object.entries(files)) {
    mkdirSync(join(d, n, ".."), { recursive: true });
    writeFileSync(join(d, n), t);
  }
  return d;
}

const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;

async function run(d: string, names: string[], extra: Partial<EvalOptions> = {}, backend = new ScriptedBackend()) {
  const reg = TaskRegistry.load([join(d, "tasks")]);
  const { tasks, groups } = reg.resolve(names);
  return runEval(openStore(":memory:"), backend, {
    modelId: "m",
    tasks,
    groups,
    dataDir: join(d, "data"),
    prompt: { chatTemplate: false, fewshotAsMultiturn: false, seed: 1234 },
    ...extra,
  });
}

function row(rows: MetricValue[], metric: string, filter = "none"): MetricValue {
  const r = rows.find((x) => x.metric === metric && x.filter === filter);
  assert.ok(r, `no ${metric},${filter} in ${JSON.stringify(rows)}`);
  return r;
}

const GEN_ROWS = Array.from({ length: 12 }, (_, i) => ({
  q: `Translate sentence ${i}`,
  ref: `the cat ${i % 3 === 0 ? "sat on the mat" : "ran far away"} today`,
}));
/** The scripted model's answer to document i. */
const answer = (i: number) => (i % 2 === 0 ? `the cat sat on the mat today` : `a dog ${i} ran away`);

test("generation: registered metrics with their options and aggregations (bleu, chrf bootstrapped; exact_match mean)", async () => {
  const d = dir({
    "data/gen.jsonl": jsonl(GEN_ROWS),
    "tasks/gen.yaml": `task: toy_gen
dataset_path: .
data_files: gen.jsonl
output_type: generate_until
doc_to_text: "{{q}}:"
doc_to_target: "{{ref}}"
filter_list:
  - { name: whole, filter: [{ function: take_first }] }
  - { name: upper, filter: [{ function: uppercase }, { function: take_first }] }
metric_list:
  - { metric: exact_match, ignore_case: true }
  - { metric: bleu }
  - { metric: chrf }
`,
  });
  const backend = new ScriptedBackend({ answer: (p) => answer(Number(/sentence (\d+)/.exec(p)?.[1])) });
  const out = await run(d, ["toy_gen"], { bootstrapIters: 1000 }, backend);
  const rows = out.log.results.toy_gen?.metrics ?? [];
  const pairs = GEN_ROWS.map((r, i) => [r.ref, answer(i)]);
  const em: number[] = GEN_ROWS.map((r, i) => (r.ref.toLowerCase() === answer(i).toLowerCase() ? 1 : 0));
  assert.equal(row(rows, "exact_match", "whole").value, em.reduce((a, b) => a + b, 0) / em.length);
  assert.equal(row(rows, "exact_match", "whole").stderr, meanStderr(em));
  // ignore_case: the uppercased answer matches the same documents.
  assert.equal(row(rows, "exact_match", "upper").value, row(rows, "exact_match", "whole").value);
  assert.equal(row(rows, "bleu", "whole").value, bleu(pairs));
  assert.equal(row(rows, "chrf", "whole").value, chrf(pairs));
  // lm-eval bootstraps bleu/chrf/ter with at most 100 resamples.
  assert.equal(row(rows, "bleu", "whole").stderr, bootstrapStderr("bleu", pairs, 100));
  assert.ok((row(rows, "bleu", "whole").value ?? 0) > 0);
  assert.equal(out.log.results.toy_gen?.higherIsBetter.bleu, true);
});

test("multiple choice: f1 and mcc from (gold, pred) pairs with a seeded bootstrap; acc/acc_norm as lm-eval", async () => {
  const rows = Array.from({ length: 20 }, (_, i) => ({ q: `Is ${i} even?`, label: i % 2 === 0 ? 1 : 0 }));
  const d = dir({
    "data/mc.jsonl": jsonl(rows),
    "tasks/mc.yaml": `task: toy_mc
dataset_path: .
data_files: mc.jsonl
output_type: multiple_choice
doc_to_text: "{{q}}"
doc_to_choice: ["no", "yes"]
doc_to_target: label
metric_list: [{ metric: acc }, { metric: f1 }, { metric: mcc }]
`,
  });
  const backend = new ScriptedBackend({ prefer: "yes" });
  const out = await run(d, ["toy_mc"], { bootstrapIters: 2000 }, backend);
  const r = out.log.results.toy_mc?.metrics ?? [];
  // The scripted model always prefers "yes" (index 1).
  const pairs = rows.map((x) => [x.label, 1]);
  assert.equal(row(r, "acc").value, 0.5);
  assert.equal(row(r, "f1").value, f1Score(pairs));
  assert.equal(row(r, "mcc").value, matthewsCorrcoef(pairs));
  assert.equal(row(r, "f1").stderr, bootstrapStderr("f1", pairs, 2000));
  // Reproducible: the bootstrap is seeded.
  const again = await run(d, ["toy_mc"], { bootstrapIters: 2000 }, backend);
  assert.equal(row(again.log.results.toy_mc?.metrics ?? [], "f1").stderr, row(r, "f1").stderr);
});

test("IFEval through the runner: process_results hook, four metrics, the hook aggregation's stderr is N/A", async () => {
  const responses = new Map(
    readFileSync(join(SHARED, "ifeval", "input_response_data_gpt4_20231107_145030.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l)
      .map((l) => JSON.parse(l) as { prompt: string; response: string })
      .map((x) => [x.prompt, x.response]),
  );
  const strict = readFileSync(join(SHARED, "ifeval", "eval_results_strict.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l)
    .map((l) => JSON.parse(l) as { prompt: string; follow_all_instructions: boolean });
  const byPrompt = new Map(strict.map((s) => [s.prompt, s]));
  const reg = loadRegistry();
  const { tasks, groups } = reg.resolve(["leaderboard_ifeval"]);
  const n = 120;
  const out = await runEval(openStore(":memory:"), new ScriptedBackend({ answer: (p) => responses.get(p) ?? "" }), {
    modelId: "gpt4-responses",
    tasks,
    groups,
    dataDir: SHARED,
    prompt: { chatTemplate: false, fewshotAsMultiturn: false, seed: 1234 },
    limit: n,
  });
  const docs = readFileSync(join(SHARED, "ifeval", "input_data.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l)
    .slice(0, n)
    .map((l) => IfevalDocSchema.parse(JSON.parse(l)));
  // The checkers on their own (they agree with the reference's strict verdicts but for two prompts whose letter
  // the reference drew at random: see tasks/ifeval), and the reference's verdicts.
  const own = docs.map((doc) => ifevalProcessResults(doc, responses.get(doc.prompt) ?? ""));
  const promptLevel: number[] = own.map((x) => (x.prompt_level_strict_acc ? 1 : 0));
  const disagree = docs.filter(
    (d, i) => byPrompt.get(d.prompt)?.follow_all_instructions !== own[i]?.prompt_level_strict_acc,
  );
  assert.ok(disagree.length <= 2, `${disagree.length} prompts disagree with the reference`);
  const r = out.log.results.leaderboard_ifeval?.metrics ?? [];
  assert.equal(row(r, "prompt_level_strict_acc").value, promptLevel.reduce((a, b) => a + b, 0) / n);
  assert.equal(row(r, "prompt_level_strict_acc").stderr, meanStderr(promptLevel));
  assert.equal(row(r, "inst_level_strict_acc").value, aggInstLevelAcc(own.map((x) => x.inst_level_strict_acc)));
  assert.equal(row(r, "inst_level_strict_acc").stderr, null, "lm-eval prints N/A for a hook aggregation");
  assert.ok((row(r, "prompt_level_loose_acc").value ?? 0) >= (row(r, "prompt_level_strict_acc").value ?? 1));
  assert.ok(row(r, "inst_level_loose_acc").value !== null);
});

test("a metric the scorer cannot compute, or without an aggregation, stops the run naming task and metric", async () => {
  const rows = Array.from({ length: 3 }, (_, i) => ({ q: `q${i}`, label: 0 }));
  const utils = "def process_results(doc, results):\n    return {'hit': 1}\n";
  const d = dir({
    "data/mc.jsonl": jsonl(rows),
    "tasks/mc.yaml": `task: toy_bleu_mc
dataset_path: .
data_files: mc.jsonl
output_type: multiple_choice
doc_to_text: "{{q}}"
doc_to_choice: ["a", "b"]
doc_to_target: label
metric_list: [{ metric: acc }, { metric: bleu }]
`,
    "tasks/hook/h.yaml": `task: toy_hook
dataset_path: .
data_files: mc.jsonl
output_type: multiple_choice
doc_to_text: "{{q}}"
doc_to_choice: ["a", "b"]
doc_to_target: label
process_results: !function utils.process_results
metric_list: [{ metric: hit, aggregation: mean }, { metric: miss, aggregation: mean }]
`,
    "tasks/hook/utils.py": utils,
    "tasks/hook2/h.yaml": `task: toy_noagg
dataset_path: .
data_files: mc.jsonl
output_type: multiple_choice
doc_to_text: "{{q}}"
doc_to_choice: ["a", "b"]
doc_to_target: label
process_results: !function utils.process_results
metric_list: [{ metric: hit }]
`,
    "tasks/hook2/utils.py": utils,
  });
  const module: HookModule = {
    path: "toy/utils.py",
    sha256: [sha256Hex(utils)],
    functions: { process_results: { kind: "process_results", fn: () => ({ hit: 1 }) } },
  };
  const reg = TaskRegistry.load([join(d, "tasks")], { hookModules: [module] });
  const go = (name: string) =>
    runEval(openStore(":memory:"), new ScriptedBackend(), {
      modelId: "m",
      tasks: reg.resolve([name]).tasks,
      groups: [],
      dataDir: join(d, "data"),
      prompt: { chatTemplate: false, fewshotAsMultiturn: false, seed: 1 },
    });
  await assert.rejects(go("toy_bleu_mc"), /task 'toy_bleu_mc': metric 'bleu' \(filter none\) cannot be computed/);
  await assert.rejects(go("toy_hook"), /task 'toy_hook': metric 'miss' .*process_results does not return it/);
  await assert.rejects(go("toy_noagg"), /task 'toy_noagg': metric 'hit' has no aggregation/);
});

test("groups: aggregate_metric_list as lm-eval (weighted by size or not, pooled stderr); macro over members", async () => {
  const a = Array.from({ length: 8 }, (_, i) => ({ q: `a${i}`, label: i % 4 === 0 ? 1 : 0 }));
  const b = Array.from({ length: 3 }, (_, i) => ({ q: `b${i}`, label: 1 }));
  const task = (name: string, file: string) => `task: ${name}
dataset_path: .
data_files: ${file}
output_type: multiple_choice
doc_to_text: "{{q}}"
doc_to_choice: ["no", "yes"]
doc_to_target: label
metric_list: [{ metric: acc }, { metric: acc_norm }]
`;
  const d = dir({
    "data/a.jsonl": jsonl(a),
    "data/b.jsonl": jsonl(b),
    "tasks/a.yaml": task("ga", "a.jsonl"),
    "tasks/b.yaml": task("gb", "b.jsonl"),
    "tasks/gw.yaml":
      "group: g_weighted\ntask: [ga, gb]\naggregate_metric_list: [{ metric: acc, weight_by_size: true }]\n",
    "tasks/gu.yaml": "group: g_plain\ntask: [ga, gb]\naggregate_metric_list: [{ metric: acc }]\n",
    "tasks/gn.yaml": "group: g_none\ntask: [ga, gb]\n",
  });
  const out = await run(d, ["g_weighted", "g_plain", "g_none"], {}, new ScriptedBackend({ prefer: "yes" }));
  const ra = out.log.results.ga;
  const rb = out.log.results.gb;
  assert.ok(ra && rb);
  const accA = row(ra.metrics, "acc");
  const accB = row(rb.metrics, "acc");
  assert.equal(accA.value, 0.25);
  assert.equal(accB.value, 1);
  const w = out.log.groups.g_weighted;
  assert.equal(row(w?.metrics ?? [], "acc").value, (0.25 * 8 + 1 * 3) / 11);
  assert.equal(
    row(w?.metrics ?? [], "acc").stderr,
    pooledSampleStderr([accA.stderr, accB.stderr], [8, 3]),
    "lm-eval's pooled_sample_stderr",
  );
  assert.equal(w?.metrics.length, 1, "only the metrics aggregate_metric_list names");
  assert.equal(row(out.log.groups.g_plain?.metrics ?? [], "acc").value, (0.25 + 1) / 2);
  assert.equal(aggregateSubtaskMetrics([0.25, 1], [8, 3], false), 0.625);
  // Without aggregate_metric_list: modelmap's item means of every metric; macro is always there.
  assert.equal(out.log.groups.g_none?.metrics.length, 2);
  assert.equal(row(out.log.groups.g_none?.macro ?? [], "acc").value, 0.625);
  // lm-eval's formula by hand: ((8-1)*s1^2*8 + (3-1)*s2^2*3) / (11 - 2) / 11.
  const s1 = accA.stderr ?? 0;
  const s2 = accB.stderr ?? 0;
  assert.equal(pooledSampleStderr([s1, s2], [8, 3]), Math.sqrt((7 * s1 ** 2 * 8 + 2 * s2 ** 2 * 3) / 9 / 11));
  assert.equal(pooledSampleStderr([s1, null], [8, 3]), null);
});
