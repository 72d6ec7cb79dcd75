/**
 * Every shipped benchmark definition runs on the real datasets in ../shared/data (first documents only), with the
 * prompts lm-evaluation-harness would send. The backend is scripted: prompts and plumbing are the subject here.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runEval } from "../src/runner/run-eval.ts";
import { loadRegistry } from "../src/runner/service.ts";
import type { EvalSample } from "../src/store/run-log.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import type { PlannedRequest } from "../src/tasks/instance.ts";
import { ScriptedBackend } from "./support/scripted-backend.ts";

const DATA = join(import.meta.dirname, "..", "..", "shared", "data");

test("all shipped tasks load their data and build the harness's prompts", async () => {
  assert.ok(existsSync(DATA), `shared data missing at ${DATA}: the tests read real datasets from ../shared/data`);
  const reg = loadRegistry();
  const { tasks, groups } = reg.resolve([
    "open_llm_leaderboard_v1",
    "arc_easy",
    "piqa",
    "truthfulqa_mc1",
    "mmlu",
    "bbh",
  ]);
  const first = new Map<string, PlannedRequest[]>();
  const samples = new Map<string, EvalSample>();
  const store = openStore(":memory:");
  const out = await runEval(store, new ScriptedBackend(), {
    modelId: "scripted",
    tasks,
    groups,
    dataDir: DATA,
    prompt: { chatTemplate: false, fewshotAsMultiturn: false, seed: 1234 },
    limit: 2,
    writeOutDocs: 1,
    onWriteOut: (t, _d, reqs) => first.set(t, reqs),
    onSample: (t, s) => {
      if (!samples.has(t)) samples.set(t, s);
    },
  });
  assert.equal(Object.keys(out.results).length, tasks.length);
  for (const [name, r] of Object.entries(out.results)) {
    assert.equal(r.n, 2, name);
    assert.equal(r.n_errors, 0, name);
  }
  assert.equal(out.groups.mmlu?.n, 114);
  assert.equal(out.groups.mmlu?.n_subtasks, 57);
  assert.equal(typeof out.groups.mmlu?.["acc_macro,none"], "number");

  const ll = (t: string) =>
    (first.get(t) ?? []).map((r) => (r.kind === "loglikelihood" ? r : assert.fail(`${t}: ${r.kind}`)));
  // MMLU: description, 5 dev examples with letter answers, then the question; choices are " A".." D".
  const mmlu = ll("mmlu_anatomy");
  assert.deepEqual(
    mmlu.map((r) => r.continuation),
    [" A", " B", " C", " D"],
  );
  assert.ok(
    mmlu[0]?.context.startsWith("The following are multiple choice questions (with answers) about anatomy.\n\n"),
  );
  assert.equal(mmlu[0]?.context.match(/\nAnswer: [ABCD]\n\n/g)?.length, 5);
  assert.ok(mmlu[0]?.context.endsWith("\nD. Nasopharynx\nAnswer:") || mmlu[0]?.context.endsWith("Answer:"));
  // ARC-Challenge: 25 shots.
  assert.equal(ll("arc_challenge")[0]?.context.match(/\nAnswer: /g)?.length, 25);
  // HellaSwag: 4 endings, each after a space.
  const hs = ll("hellaswag");
  assert.equal(hs.length, 4);
  assert.ok(hs.every((r) => r.continuation.startsWith(" ")));
  assert.ok(hs[0]?.context.endsWith("Roof shingle removal: A man is sitting on a roof. he"));
  // Winogrande: partial scoring, two contexts, one shared continuation.
  const wg = ll("winogrande");
  assert.equal(wg.length, 2);
  assert.equal(wg[0]?.continuation, wg[1]?.continuation);
  assert.notEqual(wg[0]?.context, wg[1]?.context);
  // TruthfulQA MC2: the target lists the true answers (the hub's first question has one; its labels say which).
  assert.deepEqual(samples.get("truthfulqa_mc2")?.gold, [
    "Nauru is the smallest country in the world that is at least one square mile in area.",
  ]);
  // GSM8K: 5 solved training problems, then the question; generation stops at "Question:".
  const g = first.get("gsm8k")?.[0];
  assert.equal(g?.kind, "generate");
  if (g?.kind === "generate") {
    assert.equal(g.prompt.match(/#### \d+/g)?.length, 5);
    assert.ok(g.params.stop?.includes("Question:"));
  }
  assert.ok("exact_match,strict-match" in (out.results.gsm8k ?? {}));
  assert.ok("exact_match,flexible-extract" in (out.results.gsm8k ?? {}));
  await store.close();
});
