import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCaptured } from "../../../test/support/cli.ts";
import { ScriptedBackend } from "../../../test/support/scripted-backend.ts";
import { runEval } from "../../runner/run-eval.ts";
import { loadRegistry } from "../../runner/service.ts";
import { openStore } from "../../store/sqlite/index.ts";
import { createApp } from "../app.ts";
import { runRoutes } from "./runs.ts";

test("the runs API lists, shows and compares runs like the CLI", async () => {
  const store = openStore(":memory:");
  const reg = loadRegistry();
  const { tasks } = reg.resolve(["arc_easy"]);
  const dataDir = join(import.meta.dirname, "..", "..", "..", "..", "shared", "data");
  const prompt = { chatTemplate: false, fewshotAsMultiturn: false, seed: 1, numFewshot: 0 };
  const a = await runEval(store, new ScriptedBackend({ name: "m1" }), {
    modelId: "m1",
    tasks,
    groups: [],
    dataDir,
    prompt,
    limit: 30,
  });
  const b = await runEval(store, new ScriptedBackend({ name: "m2" }), {
    modelId: "m2",
    tasks,
    groups: [],
    dataDir,
    prompt,
    limit: 30,
  });
  const app = createApp({ store }, [runRoutes]);
  const list = (await (await app.request("/api/eval/runs")).json()) as { runs: Array<{ id: string }> };
  assert.deepEqual(list.runs.map((r) => r.id).sort(), [a.runId, b.runId].sort());
  const show = (await (await app.request(`/api/eval/runs/${a.runId.slice(0, 10)}`)).json()) as {
    id: string;
    samples: Array<{ n: number }>;
  };
  assert.equal(show.id, a.runId);
  assert.equal(show.samples[0]?.n, 30);
  const cmp = (await (await app.request(`/api/eval/compare?a=${a.runId}&b=${b.runId}`)).json()) as {
    tasks: Array<{ metric: string; n: number }>;
  };
  assert.ok(cmp.tasks.some((t) => t.metric === "acc,none" && t.n === 30));
  assert.equal((await app.request("/api/eval/runs/nope")).status, 404);
  assert.equal((await app.request("/api/eval/compare?a=x")).status, 400);
  const t = (await (await app.request("/api/eval/tasks")).json()) as { tasks: Array<{ name: string }> };
  assert.ok(t.tasks.some((x) => x.name === "gsm8k"));
  store.close();
});

test("one run API: /api/runs and /api/eval/runs answer the same, and `runs show|list --format json` print it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "modelmap-runs-api-"));
  const db = join(dir, "m.db");
  const store = openStore(db);
  try {
    const reg = loadRegistry();
    const dataDir = join(import.meta.dirname, "..", "..", "..", "..", "shared", "data");
    const run = await runEval(store, new ScriptedBackend({ name: "m1" }), {
      modelId: "org/m1",
      tasks: reg.resolve(["arc_easy"]).tasks,
      groups: [],
      dataDir,
      prompt: { chatTemplate: false, fewshotAsMultiturn: false, seed: 1, numFewshot: 0 },
      limit: 12,
    });
    const app = createApp({ store }, [runRoutes]);
    const get = async (p: string) => {
      const res = await app.request(p);
      assert.equal(res.status, 200, p);
      return res.json();
    };
    const shown = await get(`/api/runs/${run.runId}`);
    assert.deepEqual(await get(`/api/eval/runs/${run.runId.slice(0, 8)}`), shown);
    const listed = (await get("/api/runs")) as { runs: unknown[] };
    assert.deepEqual(await get("/api/eval/runs"), listed);

    const cliShow = await runCaptured(["--db", db, "runs", "show", run.runId, "--format", "json"]);
    assert.equal(cliShow.code, 0, cliShow.err);
    assert.deepEqual(JSON.parse(cliShow.out), shown);
    const cliList = await runCaptured(["--db", db, "runs", "list", "--format", "json"]);
    assert.equal(cliList.code, 0, cliList.err);
    assert.deepEqual(JSON.parse(cliList.out), listed.runs);

    const cliTasks = await runCaptured(["tasks", "list", "--format", "json"]);
    assert.equal(cliTasks.code, 0, cliTasks.err);
    const apiTasks = (await get("/api/eval/tasks")) as { tasks: unknown[]; groups: unknown[] };
    const printed = JSON.parse(cliTasks.out) as { tasks: Array<{ file?: string }>; groups: unknown[] };
    assert.deepEqual(
      printed.tasks.map(({ file: _file, ...t }) => t),
      apiTasks.tasks,
    );
    assert.deepEqual(printed.groups, apiTasks.groups);

    // The shape, once: snake_case like the harness's results; samples are the per-task counts.
    const v = shown as Record<string, unknown>;
    assert.deepEqual(Object.keys(v).sort(), [
      "config",
      "created_at",
      "groups",
      "id",
      "identity",
      "model",
      "results",
      "samples",
      "status",
      "tasks",
      "updated_at",
    ]);
    assert.equal(v.model, "org/m1");
    assert.deepEqual(v.tasks, ["arc_easy"]);
    assert.deepEqual(v.samples, [{ task: "arc_easy", n: 12, errors: 0 }]);
    assert.equal((v.results as Record<string, Record<string, unknown>>).arc_easy?.["acc,none"] !== undefined, true);

    // A page of samples and one sample, under the run.
    const page = (await get(`/api/runs/${run.runId}/samples/arc_easy?page=2`)) as {
      total: number;
      page: number;
      samples: Array<{ docId: number }>;
    };
    assert.equal(page.total, 12);
    assert.equal(page.page, 2);
    assert.equal(page.samples.length, 0, "12 samples fit on page 1");
    const one = (await get(`/api/runs/${run.runId}/samples/arc_easy/3`)) as { docId: number };
    assert.equal(one.docId, 3);
    const bad = await app.request(`/api/runs/${run.runId}/samples/arc_easy/three`);
    assert.equal(bad.status, 400);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
