/**
 * Golden parity with lm-evaluation-harness: for every file in ../shared/data/lmeval_golden (requests recorded
 * from lm-eval's own code on the local data; see its README), modelmap builds the requests from lm-eval's
 * UNCHANGED task files, with the shipped dataset map and the data in ../shared/data, and every line must equal the
 * golden line byte for byte. A golden task whose YAML needs a `!function` hook with no native version yet is
 * reported as pending (it is compared as soon as the hook is registered); nothing else may differ. The shipped
 * tasks (tasks/) must build the same requests too.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadRegistry } from "../src/runner/service.ts";
import { loadDatasetMaps } from "../src/tasks/dataset-map.ts";
import { TaskRegistry } from "../src/tasks/loader.ts";
import { formatRequestLine, taskRequests } from "../src/tasks/requests.ts";
import { GOLDEN, lmEvalTasks, SHARED_DATA } from "./support/lmeval-tree.ts";

const V1_MAP = join(import.meta.dirname, "fixtures", "dataset-map-truthfulqa-v1.yaml");
const PLAIN = { chatTemplate: false, fewshotAsMultiturn: false, seed: 1234 };

function goldenFiles(): string[] {
  return [
    ...readdirSync(GOLDEN).filter((f) => f.endsWith(".jsonl")),
    ...readdirSync(join(GOLDEN, "hf_exact"))
      .filter((f) => f.endsWith(".jsonl"))
      .map((f) => `hf_exact/${f}`),
  ].sort();
}

function golden(file: string): { lines: string[]; task: string; numFewshot: number } {
  const lines = readFileSync(join(GOLDEN, file), "utf8")
    .split("\n")
    .filter((l) => l !== "");
  const first = JSON.parse(lines[0] ?? "{}") as { task: string; num_fewshot: number };
  return { lines, task: first.task, numFewshot: first.num_fewshot };
}

/** The local-order TruthfulQA files are lm-eval's output on the v1 file, not on the hub's data. */
function mapsFor(file: string): string[] {
  return file.startsWith("truthfulqa_") ? [V1_MAP] : [];
}

async function build(reg: TaskRegistry, task: string, file: string, numFewshot: number, limit: number) {
  const ctx = { dataDir: SHARED_DATA, datasetMap: loadDatasetMaps(SHARED_DATA, mapsFor(file)) };
  const t = reg.resolve([task]).tasks[0];
  assert.ok(t, task);
  const out: string[] = [];
  for await (const l of taskRequests(t, ctx, { ...PLAIN, numFewshot }, limit)) out.push(formatRequestLine(l));
  return out;
}

test("lm-eval's unchanged task files give the golden requests byte for byte", async () => {
  const tree = lmEvalTasks();
  const reg = TaskRegistry.load(
    ["gsm8k", "mmlu", "arc", "truthfulqa", "winogrande", "bbh", "leaderboard"].map((d) => join(tree, d)),
  );
  const pending: string[] = [];
  let compared = 0;
  for (const file of goldenFiles()) {
    const g = golden(file);
    const p = reg.problemFor(g.task);
    if (p) {
      assert.equal(p.reason, "hook", `${file}: ${g.task} refused for another reason: ${p.error.message}`);
      pending.push(`${file} (${p.error.message.replace(/^.*hook '/, "'").replace(/ is not implemented.*/, "")})`);
      continue;
    }
    const mine = await build(reg, g.task, file, g.numFewshot, 20);
    assert.equal(mine.length, g.lines.length, `${file}: number of requests`);
    for (const [i, line] of g.lines.entries()) assert.equal(mine[i], line, `${file} line ${i + 1}`);
    compared++;
  }
  // Every golden file, those whose lm-eval YAML needs a hook (winogrande, truthfulqa_mc2) included, now that the
  // hooks have native versions (issue 12: "for every file ... byte for byte").
  assert.deepEqual(pending, [], `golden files still pending a native hook: ${pending.join("; ")}`);
  assert.equal(compared, goldenFiles().length, `${compared} of ${goldenFiles().length} golden files compared`);
  assert.ok(compared >= 13, `${compared} golden files compared`);
});

// Shipped task -> golden file, and why a field may differ.
const SHIPPED: Array<{ task: string; file: string; sameTarget: boolean }> = [
  { task: "gsm8k", file: "gsm8k.jsonl", sameTarget: true },
  { task: "mmlu_abstract_algebra", file: "mmlu_abstract_algebra.jsonl", sameTarget: true },
  { task: "arc_challenge", file: "arc_challenge.jsonl", sameTarget: true },
  { task: "winogrande", file: "winogrande.jsonl", sameTarget: true },
  { task: "truthfulqa_mc1", file: "hf_exact/truthfulqa_mc1.jsonl", sameTarget: true },
  // The shipped mc2 lists the true answers' indices as its target (lm-eval: 0, read by a hook); requests are equal.
  { task: "truthfulqa_mc2", file: "hf_exact/truthfulqa_mc2.jsonl", sameTarget: false },
  { task: "bbh_boolean_expressions", file: "bbh_zeroshot_boolean_expressions.jsonl", sameTarget: true },
  { task: "bbh_causal_judgement", file: "bbh_zeroshot_causal_judgement.jsonl", sameTarget: true },
  { task: "bbh_date_understanding", file: "bbh_zeroshot_date_understanding.jsonl", sameTarget: true },
];

test("the shipped tasks build lm-eval's requests (context, continuation, generation arguments)", async () => {
  const reg = loadRegistry();
  for (const s of SHIPPED) {
    const g = golden(s.file);
    const mine = (await build(reg, s.task, s.file, g.numFewshot, 20)).map(
      (l) => JSON.parse(l) as Record<string, unknown>,
    );
    assert.equal(mine.length, g.lines.length, s.task);
    g.lines.forEach((line, i) => {
      const want = JSON.parse(line) as Record<string, unknown>;
      const got = mine[i] ?? {};
      assert.equal(got.task, s.task);
      for (const k of ["doc_id", "idx", "request_type", "context", "continuation", "gen_kwargs", "num_fewshot"])
        assert.deepEqual(got[k], want[k], `${s.task} line ${i + 1} ${k}`);
      if (s.sameTarget) assert.deepEqual(got.target, want.target, `${s.task} line ${i + 1} target`);
    });
  }
});
