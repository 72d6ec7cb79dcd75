/**
 * lm-evaluation-harness's whole `lm_eval/tasks` tree, unchanged, through the CLI as an lm-eval user would use it:
 * `tasks validate` loads it (one line per refused file with its reason, exit 2 only for invalid files),
 * `tasks list --include-path` survives its broken files, `tasks requests` prints lm-eval's requests, and
 * `tasks show` says where a task's data comes from and how that copy differs from the hub's.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runEval } from "../src/runner/run-eval.ts";
import { loadRegistry } from "../src/runner/service.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import { runCaptured } from "./support/cli.ts";
import { GOLDEN, lmEvalTasks, SHARED_DATA } from "./support/lmeval-tree.ts";
import { ScriptedBackend } from "./support/scripted-backend.ts";

test("tasks validate on lm_eval/tasks: one line per refused file, counts, exit 2 only for invalid files", async () => {
  const tree = lmEvalTasks();
  const r = await runCaptured(["tasks", "validate", tree, "--format", "json"]);
  const s = JSON.parse(r.out) as {
    files: number;
    tasks: number;
    refused: number;
    refused_by_reason: Record<string, number>;
    loaded_share_without_missing_hooks: number;
    invalid: number;
  };
  assert.equal(s.files, 13879);
  // lm-eval's own tree holds a few files lm-eval cannot load either (a typo'd include, a member without a task).
  assert.ok(s.invalid > 0 && s.invalid < 10, `${s.invalid} invalid files`);
  assert.equal(r.code, 2);
  assert.ok(s.tasks > 4000, `${s.tasks} tasks load`);
  assert.ok(s.loaded_share_without_missing_hooks >= 0.95, `${s.loaded_share_without_missing_hooks} of the files load`);
  assert.ok((s.refused_by_reason.generation ?? 0) > 0, "num_beams is refused by name");

  const text = await runCaptured(["tasks", "validate", join(tree, "paws-x"), join(tree, "benchmarks", "t0_eval.yaml")]);
  const lines = text.err.split("\n").filter((l) => l.startsWith("refused ("));
  assert.match(text.out, /^\d+ valid, \d+ invalid\n/);
  assert.ok(lines.some((l) => /^refused \(schema\): .*t0_eval\.yaml.*neither 'task' nor 'group'/.test(l)));
  assert.equal(text.code, 2);
});

test("tasks list with --include-path survives broken files; a user task overrides a built-in one, with a notice", async () => {
  const r = await runCaptured(["tasks", "list", "--include-path", join(lmEvalTasks(), "gsm8k"), "--format", "json"]);
  assert.equal(r.code, 0, r.err);
  const list = JSON.parse(r.out) as { tasks: Array<{ name: string; file: string }> };
  const gsm = list.tasks.find((t) => t.name === "gsm8k");
  assert.match(gsm?.file ?? "", /lm_eval\/tasks\/gsm8k\/gsm8k\.yaml$/);
  assert.match(
    r.err,
    /notice: 'gsm8k' from .*lm_eval\/tasks\/gsm8k\/gsm8k\.yaml overrides the one from .*tasks\/gsm8k/,
  );
});

test("tasks requests prints lm-eval's requests, line for line as the golden file", async () => {
  const golden = readFileSync(join(GOLDEN, "leaderboard_bbh_boolean_expressions.jsonl"), "utf8").split("\n");
  const r = await runCaptured([
    "tasks",
    "requests",
    "leaderboard_bbh_boolean_expressions",
    "--include-path",
    join(lmEvalTasks(), "leaderboard", "bbh_mc"),
    "--data-dir",
    SHARED_DATA,
    "--limit",
    "3",
    "--format",
    "jsonl",
  ]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split("\n").filter((l) => l);
  assert.equal(lines.length, 6);
  lines.forEach((l, i) => {
    assert.equal(l, golden[i]);
  });
  const bad = await runCaptured(["tasks", "requests", "gsm8k", "--format", "text"]);
  assert.equal(bad.code, 2);
});

test("tasks show names the data and how the local copy differs from the hub's", async () => {
  const r = await runCaptured(["tasks", "show", "arc_challenge", "--data-dir", SHARED_DATA]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /# data: allenai\/ai2_arc \(ARC-Challenge\) from the dataset map .*dataset-map\.yaml/);
  assert.match(r.out, /# differs from the hub: train is a stand-in/);
  // No request to the hub from a test, and no cache of this machine read.
  const offline = {
    ...process.env,
    HF_HUB_OFFLINE: "1",
    MODELMAP_CACHE: "/nonexistent/mm",
    HF_HOME: "/nonexistent/hf",
  };
  const hs = await runCaptured(
    ["tasks", "show", "hellaswag", "--include-path", join(lmEvalTasks(), "hellaswag"), "--data-dir", SHARED_DATA],
    { env: offline },
  );
  assert.equal(hs.code, 0, hs.err);
  assert.match(hs.out, /# data: Rowan\/hellaswag from the dataset map .*dataset-map\.yaml/);
  assert.match(hs.out, /# differs from the hub: not the hub's rows: .*ctx_b is empty here/);
  assert.match(hs.out, /# hook utils\.process_docs: native process_docs/);
  const missing = await runCaptured(["tasks", "show", "sciq", "--include-path", join(lmEvalTasks(), "sciq")], {
    env: offline,
  });
  assert.equal(missing.code, 0, missing.err);
  assert.match(missing.out, /# data: .*no local copy of the dataset allenai\/sciq/);
});

test("eval runs lm-eval's unchanged task files on the local data: the v1 suite and a v2 task (scripted backend)", async () => {
  const tree = lmEvalTasks();
  const reg = loadRegistry(
    ["gsm8k", "arc", "hellaswag", "mmlu", "truthfulqa", "winogrande", join("leaderboard", "bbh_mc")].map((d) =>
      join(tree, d),
    ),
  );
  // The Open LLM Leaderboard v1 set (one MMLU subject stands for the 57 of the group) and a v2 task.
  const names = [
    "gsm8k",
    "arc_challenge",
    "hellaswag",
    "mmlu_abstract_algebra",
    "truthfulqa_mc2",
    "winogrande",
    "leaderboard_bbh_boolean_expressions",
  ];
  const { tasks } = reg.resolve(names);
  assert.deepEqual(
    tasks.map((t) => t.name),
    names,
  );
  assert.deepEqual(
    tasks.map((t) => t.file.includes("lm_eval/tasks")),
    names.map(() => true),
  );
  const store = openStore(":memory:");
  try {
    const out = await runEval(store, new ScriptedBackend(), {
      modelId: "scripted",
      tasks,
      groups: [],
      dataDir: SHARED_DATA,
      prompt: { chatTemplate: false, fewshotAsMultiturn: false, seed: 1234 },
      limit: 3,
    });
    for (const t of tasks) {
      assert.equal(out.results[t.name]?.n, 3, t.name);
      assert.equal(out.results[t.name]?.n_errors, 0, t.name);
    }
    assert.ok("exact_match,strict-match" in (out.results.gsm8k ?? {}));
    assert.ok("acc_norm,none" in (out.results.arc_challenge ?? {}));
    assert.ok("acc_norm,none" in (out.results.hellaswag ?? {}));
    assert.ok("acc,none" in (out.results.truthfulqa_mc2 ?? {}));
    assert.ok("acc,none" in (out.results.winogrande ?? {}));
  } finally {
    await store.close();
  }
});
