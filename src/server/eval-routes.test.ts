import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { ScriptedBackend } from "../../test/support/scripted-backend.ts";
import { runEval } from "../runner/run-eval.ts";
import { loadRegistry } from "../runner/service.ts";
import { openStore } from "../store/sqlite/index.ts";
import { createApp } from "./app.ts";
import { evalRoutes } from "./eval-routes.ts";

test("the runs API lists, shows and compares runs like the CLI", async () => {
  const store = openStore(":memory:");
  const reg = loadRegistry();
  const { tasks } = reg.resolve(["arc_easy"]);
  const dataDir = join(import.meta.dirname, "..", "..", "..", "shared", "data");
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
  const app = createApp({ store }, [evalRoutes]);
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
