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
  await store.close();
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
      "failure",
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
    assert.equal(v.failure, null, "a complete run has no failure");
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
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("run viewer: results table, samples filtered by outcome and text, choices of a multiple-choice sample, two runs side by side", async () => {
  const store = openStore(":memory:");
  try {
    const { tasks } = loadRegistry().resolve(["arc_easy"]);
    const dataDir = join(import.meta.dirname, "..", "..", "..", "..", "shared", "data");
    const prompt = { chatTemplate: false, fewshotAsMultiturn: false, seed: 1, numFewshot: 0 };
    const run = async (name: string) =>
      (
        await runEval(store, new ScriptedBackend({ name }), {
          modelId: name,
          tasks,
          groups: [],
          dataDir,
          prompt,
          limit: 30,
        })
      ).runId;
    const a = await run("m1");
    const b = await run("m2");
    const app = createApp({ store }, [runRoutes]);
    const page = await (await app.request(`/runs/${a}`)).text();
    // Results as rows: metric, filter, value, standard error, random baseline (no "acc,none=..." strings).
    assert.match(page, /<table id="results">/);
    assert.match(
      page,
      /<td><a [^>]*>arc_easy<\/a><\/td><td>acc<\/td><td>none<\/td><td class="num">0\.\d{4}<\/td><td class="num">0\.\d{4}<\/td>/,
    );
    // arc_easy's primary metric is acc_norm: its row carries the random baseline (1/4) and the normalised score.
    assert.match(
      page,
      /<tr class="primary"><td><\/td><td>acc_norm <span class="badge">primary<\/span><\/td><td>none<\/td><td class="num">0\.\d{4}<\/td><td class="num">0\.\d{4}<\/td><td class="num">0\.2500<\/td>/,
    );
    assert.doesNotMatch(page, /acc,none=/);
    assert.match(page, /<dl class="facts" id="config">/, "settings as facts, not a JSON dump");

    const digest = (await (await app.request(`/api/runs/${a}/digest/arc_easy`)).json()) as {
      total: number;
      counts: { pass: number; fail: number; error: number };
      samples: Array<{ docId: number; outcome: string; target: string; prediction: string }>;
    };
    assert.equal(digest.total, 30);
    assert.equal(digest.counts.pass + digest.counts.fail, 30);
    assert.ok(digest.counts.pass > 0 && digest.counts.fail > 0, JSON.stringify(digest.counts));
    for (const s of digest.samples) {
      assert.ok(s.target !== "" && s.prediction !== "");
      assert.equal(s.outcome === "pass", s.target === s.prediction, `doc ${s.docId}: ${s.target} vs ${s.prediction}`);
    }
    const failed = await (await app.request(`/runs/${a}?task=arc_easy&outcome=fail`)).text();
    assert.equal((failed.match(/<tr class="fail">/g) ?? []).length, digest.counts.fail);
    assert.doesNotMatch(failed, /<tr class="pass">/);
    const word = digest.samples[0]?.target.split(" ")[0] ?? "";
    const byText = (await (
      await app.request(`/api/runs/${a}/digest/arc_easy?q=${encodeURIComponent(word)}`)
    ).json()) as {
      total: number;
      samples: Array<{ prompt: string; target: string; prediction: string }>;
    };
    assert.ok(byText.total >= 1 && byText.total <= 30);
    for (const s of byText.samples)
      assert.ok(`${s.prompt}\n${s.target}\n${s.prediction}`.toLowerCase().includes(word.toLowerCase()));

    const one = digest.samples[0] as { docId: number };
    const sample = await (await app.request(`/runs/${a}/samples/arc_easy/${one.docId}`)).text();
    assert.match(sample, /<table id="choices">/);
    const rows = sample.match(/<tr class="[^"]*"><td class="num">\d+<\/td>/g) ?? [];
    assert.ok(rows.length >= 3, "one row per choice");
    assert.equal((sample.match(/<tr class="gold">/g) ?? []).length, 1, "one gold choice");
    assert.match(sample, /Log-likelihood/);

    const cmp = await (await app.request(`/runs/compare?a=${a}&b=${b}&task=arc_easy`)).text();
    assert.match(cmp, /<table id="run-comparison">/);
    assert.match(cmp, /<table id="sample-diff"/);
    const diff = (await (await app.request(`/api/runs/compare/arc_easy?a=${a}&b=${b}`)).json()) as {
      shared: number;
      both: number;
      onlyA: number;
      onlyB: number;
      neither: number;
      changed: number;
      rows: unknown[];
    };
    assert.equal(diff.shared, 30);
    assert.equal(diff.both + diff.onlyA + diff.onlyB + diff.neither, 30);
    assert.equal(diff.rows.length, diff.changed);
    assert.match(await (await app.request(`/runs/compare?a=${a}&b=nope`)).text(), /id="error"/);
  } finally {
    await store.close();
  }
});
