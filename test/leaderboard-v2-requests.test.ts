/**
 * The Open LLM Leaderboard v2 tasks shipped in tasks/leaderboard/ build exactly the requests of lm-eval's own,
 * unchanged leaderboard/ files: `modelmap tasks requests GROUP` with the shipped definitions and again with
 * `--include-path lm_eval/tasks/leaderboard` (whose tasks then override the shipped ones, as the notices show),
 * byte for byte, on the local data: BBH, MuSR (the small official subsets), IFEval, MATH Level 5, MMLU-Pro (with a
 * stand-in few-shot pool made from other test rows: the hub's validation split is not in shared/data) and GPQA
 * (GPQA-shaped rows the test writes: GPQA ships no plain text).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { runCaptured } from "./support/cli.ts";
import { gpqaDataDir, mmluProPoolMap } from "./support/leaderboard-v2.ts";
import { lmEvalTasks, SHARED_DATA } from "./support/lmeval-tree.ts";

const leaderboardDir = () => join(lmEvalTasks(), "leaderboard");

async function requests(group: string, limit: number, extra: string[], lmEval: boolean) {
  const r = await runCaptured([
    "tasks",
    "requests",
    group,
    "--limit",
    String(limit),
    "--format",
    "jsonl",
    ...extra,
    ...(lmEval ? ["--include-path", leaderboardDir()] : []),
  ]);
  assert.equal(r.code, 0, `${group}${lmEval ? " (lm-eval's files)" : ""}: ${r.err}`);
  return { lines: r.out.split("\n").filter((l) => l !== ""), err: r.err };
}

/** Requests of the shipped group and of lm-eval's; asserts lm-eval's files were the ones used the second time. */
async function compare(group: string, limit: number, extra: string[] = []) {
  const shipped = await requests(group, limit, extra, false);
  const lmEval = await requests(group, limit, extra, true);
  const tasks = [...new Set(shipped.lines.map((l) => (JSON.parse(l) as { task: string }).task))];
  for (const t of tasks)
    assert.match(
      lmEval.err,
      new RegExp(`'${t}' from \\S*lm_eval/tasks/leaderboard/\\S+ overrides the one from \\S*tasks/leaderboard/`),
    );
  assert.ok(shipped.lines.length > 0, group);
  assert.equal(shipped.lines.length, lmEval.lines.length, group);
  shipped.lines.forEach((l, i) => {
    assert.equal(l, lmEval.lines[i], `${group}: request ${i} differs`);
  });
  return { lines: shipped.lines.map((l) => JSON.parse(l) as Record<string, unknown>), tasks };
}

test("BBH (leaderboard): the 24 tasks' 3-shot requests equal lm-eval's", async () => {
  const { lines, tasks } = await compare("leaderboard_bbh", 2, ["--data-dir", SHARED_DATA]);
  assert.equal(tasks.length, 24);
  const first = lines.find((l) => l.task === "leaderboard_bbh_boolean_expressions");
  assert.equal(String(first?.context).match(/\nA: (True|False)\n\n/g)?.length, 3);
});

test("MuSR: every question of the three local subsets, requests equal lm-eval's", async () => {
  const { lines, tasks } = await compare("leaderboard_musr", 100, ["--data-dir", SHARED_DATA]);
  assert.deepEqual(tasks, [
    "leaderboard_musr_murder_mysteries",
    "leaderboard_musr_object_placements",
    "leaderboard_musr_team_allocation",
  ]);
  const docs = (t: string) => new Set(lines.filter((l) => l.task === t).map((l) => l.doc_id)).size;
  assert.deepEqual(tasks.map(docs), [5, 20, 5]);
  assert.match(String(lines[0]?.context), /\n\n1 - Mackenzie\n2 - Ana\n\nAnswer:$/);
});

test("IFEval: the prompts and generation arguments equal lm-eval's", async () => {
  const { lines } = await compare("leaderboard_ifeval", 20, ["--data-dir", SHARED_DATA]);
  assert.equal(lines.length, 20);
  assert.deepEqual(lines[0]?.gen_kwargs, { until: [], do_sample: false, temperature: 0, max_gen_toks: 1280 });
});

test("MATH Level 5: the 4-shot Minerva prompts of the seven subjects equal lm-eval's", async () => {
  const { lines, tasks } = await compare("leaderboard_math_hard", 2, ["--data-dir", SHARED_DATA]);
  assert.equal(tasks.length, 7);
  assert.equal(String(lines[0]?.context).match(/\nProblem:\n/g)?.length, 4);
});

test("MMLU-Pro: 5-shot requests equal lm-eval's, with a stand-in pool; without a pool a clear error", async () => {
  // The pool is five OTHER TEST ROWS (the hub's 70-question validation split is not in shared/data).
  const { lines } = await compare("leaderboard_mmlu_pro", 3, [
    "--data-dir",
    SHARED_DATA,
    "--dataset-map",
    mmluProPoolMap(),
  ]);
  assert.equal(new Set(lines.map((l) => l.doc_id)).size, 3);
  assert.equal(String(lines[0]?.context).match(/\nAnswer: [A-J]\n\n/g)?.length, 5);
  const bad = await runCaptured(["tasks", "requests", "leaderboard_mmlu_pro", "--data-dir", SHARED_DATA]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /uses split 'validation', which the local copy lacks/);
  assert.match(bad.err, /--dataset-map/);
});

test("GPQA: shuffled choices equal lm-eval's on GPQA-shaped rows; without data the error says how to get it", async () => {
  const dir = gpqaDataDir();
  const { lines, tasks } = await compare("leaderboard_gpqa", 6, ["--data-dir", dir]);
  assert.deepEqual(tasks, ["leaderboard_gpqa_diamond", "leaderboard_gpqa_extended", "leaderboard_gpqa_main"]);
  const targets = new Set(lines.map((l) => l.target));
  assert.ok(targets.size > 1, "the shuffle puts the correct answer under several letters");
  assert.match(String(lines[0]?.context), /^What is the correct answer to this question: In a made-up/);
  // An empty cell is None, as the hub reads the CSV: the hook's " " (document 0's second wrong answer).
  assert.match(String(lines[0]?.context), /\n\([A-D]\) {2}\n/);
  const missing = await runCaptured(["tasks", "requests", "leaderboard_gpqa_main", "--data-dir", SHARED_DATA]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /dataset file not found: .*gpqa\/gpqa_main\.csv/);
  assert.match(missing.err, /password-protected/);
});
