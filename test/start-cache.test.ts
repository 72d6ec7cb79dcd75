/**
 * The warm start's reuse (src/mainjob/reuse.ts, start-cache.ts) on real engines: tiny random-weight GGUFs, a copy
 * of the synthetic tasks the test can edit, a SQLite store. A warm start with the cache reports exactly what a start
 * without it reports; it reads the finished runs and contamination reports instead of rewriting them; and an edited
 * data file, a store changed by another run, or truncated cache files all lead back to the computed answer.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type PipelineOptions, type PipelineReport, runPipeline } from "../src/mainjob/pipeline.ts";
import { StartCache } from "../src/mainjob/start-cache.ts";
import { ZOO_PROMPT_SETS } from "../src/mainjob/zoo.ts";
import { BUILTIN_TASKS_DIR } from "../src/runner/builtin-tasks.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import type { Store } from "../src/store/store.ts";
import { createTinyModel } from "./support/tiny-model.ts";

const dir = mkdtempSync(join(tmpdir(), "mm-start-cache-e2e-"));
const tasksDir = join(dir, "tasks");
const cacheDir = join(dir, "cache");
const startDir = join(cacheDir, "start");
let store: Store;

before(() => {
  cpSync(join(BUILTIN_TASKS_DIR, "synthetic"), join(tasksDir, "synthetic"), { recursive: true });
  store = openStore(join(dir, "start.db"));
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function options(cache: boolean): PipelineOptions {
  const models = ["a", "b"].map((n, i) => ({ id: `tiny-${n}`, file: join(dir, `${n}.gguf`), seed: i + 1 }));
  return {
    models: models.map(({ id, file }) => ({ id, file })),
    tasks: ["synthetic"],
    tasksDir,
    promptSets: ZOO_PROMPT_SETS,
    limit: 3,
    seed: 1234,
    voteSource: "tiny-verifiable",
    maxTokens: 4,
    threads: 1,
    contamination: { shards: 2, permutations: 2, lowercase: true },
    ...(cache ? { cache: new StartCache(startDir) } : {}),
  };
}

/** Everything the summary prints from a report (timings aside). */
function printed(r: PipelineReport) {
  return {
    tasks: r.tasks,
    scores: r.scores,
    eval: r.eval,
    answers: { ...r.answers },
    contamination: r.contamination,
    contaminationStats: r.contaminationStats,
    votes: { total: r.votes.total, correct: r.votes.correct, unchanged: r.votes.unchanged },
    ratings: r.ratings,
    ratingWarnings: r.ratingWarnings,
    cells: r.sync.cells,
  };
}

/** When each run and contamination report was last written. */
async function written() {
  const runs = (await store.evals.listRuns()).map((r) => [r.id, r.updatedAt]);
  const checks = (await store.checks.list("contamination")).map((c) => [c.modelId, c.task, c.createdAt]);
  return { runs, checks };
}

/** The capability map as synced: every piece of evidence (vote fits per category included) and every cell. */
async function capabilityMap() {
  const evidence = (await store.capmap.evidence({})).map((e) => ({ ...e, createdAt: undefined }));
  return { evidence, cells: await store.capmap.allCells() };
}

const entries = () => readdirSync(startDir).filter((f) => /^(run|contamination)-/.test(f));

describe("warm start through the start cache (tiny models)", () => {
  test("a warm start prints what a start without the cache prints, and rewrites nothing", async () => {
    ["a", "b"].forEach((n, i) => {
      createTinyModel(join(dir, `${n}.gguf`), { seed: i + 1, contextLength: 256 });
    });
    const cold = await runPipeline(store, options(true));
    assert.ok(cold.eval.backendRequests > 0);
    assert.equal(entries().length, 2 + 2 * 6, "one entry per run and per contamination check");
    const before = await written();
    await new Promise((r) => setTimeout(r, 20));
    const warm = await runPipeline(store, options(true));
    assert.deepEqual(await written(), before, "the finished runs and reports were read, not written again");
    assert.equal(warm.eval.backendRequests, 0);
    assert.equal(warm.eval.cachedRequests, warm.eval.plannedRequests);
    assert.equal(warm.contaminationStats.sent, 0);
    // The old way: every document scored again from the request cache, every report rebuilt.
    const mapWarm = await capabilityMap();
    const recomputed = await runPipeline(store, options(false));
    assert.deepEqual(printed(warm), printed(recomputed));
    assert.deepEqual(mapWarm, await capabilityMap(), "the same map: evidence and cells, vote fits included");
    assert.notDeepEqual(await written(), before, "without the cache the runs are written again");
    assert.deepEqual(printed(cold).scores, printed(warm).scores, "the cold run's scores are the rerun's");
  });

  test("runs rewritten by another start are read again from the store, not trusted from the cache", async () => {
    // The start without the cache above re-finished every run: the entries no longer match the store.
    const before = await written();
    await new Promise((r) => setTimeout(r, 20));
    const again = await runPipeline(store, options(true));
    const now = await written();
    assert.notDeepEqual(now.runs, before.runs, "runs recomputed");
    assert.notDeepEqual(now.checks, before.checks, "reports recomputed");
    const after = await written();
    const warm = await runPipeline(store, options(true));
    assert.deepEqual(await written(), after, "and then reused");
    assert.deepEqual(printed(warm), printed(again));
  });

  test("an edited data file is seen: its requests are sent, the numbers are the computed ones", async () => {
    const file = join(tasksDir, "synthetic", "data", "synthetic_math.test.jsonl");
    const lines = readFileSync(file, "utf8").split("\n");
    lines[0] = (lines[0] ?? "").replace("What is 25 + 1?", "What is 25 plus 1?");
    writeFileSync(file, lines.join("\n"));
    const edited = await runPipeline(store, options(true));
    assert.ok(edited.eval.backendRequests > 0, "the changed document's requests went to the models");
    assert.ok(edited.contaminationStats.sent > 0, "and its contamination texts");
    const recomputed = await runPipeline(store, options(false));
    const warm = await runPipeline(store, options(true));
    assert.deepEqual(printed(warm), printed(recomputed));
  });

  test("truncated or corrupt cache files still give the computed numbers, and are rewritten", async () => {
    const recomputed = printed(await runPipeline(store, options(false)));
    await runPipeline(store, options(true));
    // The entries match the store again: a start would now read everything. Break them.
    const valid = await written();
    await new Promise((r) => setTimeout(r, 20));
    const files = entries();
    files.forEach((f, i) => {
      const path = join(startDir, f);
      if (i % 2 === 0) truncateSync(path, 10);
      else writeFileSync(path, "{}");
    });
    truncateSync(join(startDir, "tasks.json"), 3);
    assert.deepEqual(printed(await runPipeline(store, options(true))), recomputed);
    const now = await written();
    assert.notDeepEqual(now.runs, valid.runs, "runs computed again, not read through a broken entry");
    assert.notDeepEqual(now.checks, valid.checks, "reports computed again");
    for (const f of files) assert.doesNotThrow(() => JSON.parse(readFileSync(join(startDir, f), "utf8")), f);
    const before = await written();
    assert.deepEqual(printed(await runPipeline(store, options(true))), recomputed);
    assert.deepEqual(await written(), before, "reused again");
  });
});
