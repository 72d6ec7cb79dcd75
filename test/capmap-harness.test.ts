/**
 * The harness's real run records flow into the map: two models run a category-tagged task through runEval,
 * `map sync` maps the results, search ranks them, compare-models pairs them item by item, and the run
 * browser shows the prompts as sent.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { compareModels } from "../src/capmap/compare.ts";
import { search } from "../src/capmap/service.ts";
import { ownItemScores, syncOwnEvidence } from "../src/capmap/sync.ts";
import { createApp } from "../src/http/app.ts";
import { mapRoutes } from "../src/http/routes/map.ts";
import { runRoutes } from "../src/http/routes/runs.ts";
import { runEval } from "../src/runner/run-eval.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import { TaskRegistry } from "../src/tasks/loader.ts";
import { ScriptedBackend } from "./support/scripted-backend.ts";

test("harness runs -> map sync -> search, paired comparison and run browser", async () => {
  const dir = mkdtempSync(join(tmpdir(), "modelmap-capmap-harness-"));
  const store = openStore(join(dir, "db.sqlite"));
  try {
    const tasksDir = join(dir, "tasks");
    const data = join(dir, "data");
    mkdirSync(tasksDir);
    mkdirSync(data);
    const rows = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ q: `What is ${i}+1?`, options: [`${i + 1} right`, `${i + 2}`, `${i}`], gold: 0 }),
    );
    writeFileSync(join(data, "mc.jsonl"), `${rows.join("\n")}\n`);
    writeFileSync(
      join(tasksDir, "mc.yaml"),
      `task: toy_arith
category: math
dataset_path: .
data_files: mc.jsonl
output_type: multiple_choice
doc_to_text: "Question: {{q}}\\nAnswer:"
doc_to_choice: options
doc_to_target: gold
metric_list: [{ metric: acc }]
`,
    );
    const reg = TaskRegistry.load([tasksDir]);
    const { tasks, groups } = reg.resolve(["toy_arith"]);
    const prompt = { chatTemplate: false, fewshotAsMultiturn: false, seed: 1 };
    await runEval(store, new ScriptedBackend({ prefer: "right", name: "good" }), {
      modelId: "org/good",
      tasks,
      groups,
      dataDir: data,
      prompt,
    });
    await runEval(store, new ScriptedBackend({ name: "meh" }), {
      modelId: "org/meh",
      tasks,
      groups,
      dataDir: data,
      prompt,
    });

    const report = await syncOwnEvidence(store, { categoryOf: (t) => reg.tasks.get(t)?.categories, bootstrap: 0 });
    assert.equal(report.runs.evidence, 2);
    assert.deepEqual(report.runs.skipped, []);

    const s = await search(store, "math");
    assert.deepEqual(
      s.results.map((h) => h.modelId),
      ["org/good", "org/meh"],
    );
    assert.equal(s.results[0]?.estimate, 100, "always right: 100 on the above-chance scale");
    assert.equal(s.tiedForFirstCount, 1);

    const c = await compareModels(store, "org/good", "org/meh", await ownItemScores(store));
    const math = c.categories.find((x) => x.category === "math");
    assert.equal(math?.paired, true);
    assert.equal(math?.verdict, "a");

    const app = createApp({ store }, [mapRoutes, runRoutes]);
    const runs = await store.evals.listRuns();
    const good = runs.find((r) => r.modelId === "org/good");
    assert.ok(good);
    const sample = await (await app.request(`/runs/${good.id}/samples/toy_arith/3`)).text();
    assert.match(sample, /<pre id="prompt">Question: What is 3\+1\?\nAnswer:<\/pre>/);
    const model = await (await app.request("/models/org/good")).text();
    assert.match(model, new RegExp(`href="/runs/${good.id}"`));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
