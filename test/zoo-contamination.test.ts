/**
 * Ground truth for the contamination checks on the fixture zoo (tools/zoo): the contaminated model saw the
 * synthetic_math test split, in canonical (file) order, 300 times on top of the facts specialist's corpus
 * (its clean twin "facts" was trained on the identical corpus without it); "arithmetic", "facts" and
 * "generalist" are clean. modelmap must flag the contaminated model on the benchmark it saw (sharded
 * exchangeability p < 0.01; Min-K%++ separating seen from unseen items with AUC >= 0.85) and must not flag a
 * clean model on any benchmark (exchangeability p > 0.05; see the last two tests).
 *
 * Seen vs unseen for Min-K%++, as membership inference is evaluated (one model, member vs non-member items):
 * the contaminated model's scores on the 120 test items (seen) against its scores on the 120 items of the
 * math control split, same generator and format, which the contaminated model's corpus does not contain
 * (tools/zoo asserts it).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openLlamaCppBackend } from "../src/backends/llama-cpp/index.ts";
import { RollingScorer } from "../src/contamination/scoring.ts";
import { ALPHA, type ContaminationReport, runContamination } from "../src/contamination/service.ts";
import { ZOO_CONTAMINATION } from "../src/mainjob/pipeline.ts";
import { auc, minKPlusPlus } from "../src/stats/contamination.ts";
import { openStore, type SqliteStore } from "../src/store/sqlite/index.ts";
import { TaskRegistry } from "../src/tasks/loader.ts";

const ZOO = "fixtures/zoo";
const MANIFEST = join(ZOO, "manifest.json");
const MODELS = ["contaminated", "generalist", "arithmetic", "facts"] as const;
const TASKS = ["synthetic_math_mc", "synthetic_knowledge_mc", "synthetic_reasoning_mc"] as const;
/** Never in any zoo corpus: the unseen items, formatted as the task formats its items. */
const CONTROL = "tasks/synthetic/data/synthetic_math.control.jsonl";

function controlTexts(): string[] {
  if (!existsSync(CONTROL)) throw new Error(`${CONTROL} is missing: rebuild the zoo data (tools/zoo/README.md)`);
  return readFileSync(CONTROL, "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const r = JSON.parse(l) as { question: string; answer: string };
      return `Question: ${r.question}\nAnswer: ${r.answer}`;
    });
}

function manifestFiles(): Record<string, string> {
  if (!existsSync(MANIFEST))
    throw new Error(
      `${MANIFEST} is missing: build the zoo first (tools/zoo/README.md); this ground-truth test needs it`,
    );
  const m = JSON.parse(readFileSync(MANIFEST, "utf8")) as { models?: Record<string, { file?: string }> };
  const out: Record<string, string> = {};
  for (const name of MODELS) {
    const file = m.models?.[name]?.file;
    if (!file) throw new Error(`${MANIFEST} has no model '${name}'`);
    out[name] = join(ZOO, file);
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), "mm-zoo-contam-"));
let store: SqliteStore;
const reports = new Map<string, ContaminationReport>();
/** Min-K%++ (k = 0.2, as the reports use) of the contaminated model on the control items. */
let controlMinKpp: number[] = [];
const key = (m: string, t: string) => `${m}/${t}`;

before(async () => {
  const files = manifestFiles();
  store = openStore(join(dir, "z.db"));
  const reg = TaskRegistry.load(["tasks"]);
  // Only the pairs the assertions read: the contaminated model on the benchmark it saw, every clean model on all.
  const wanted: Record<string, readonly string[]> = {
    contaminated: ["synthetic_math_mc"],
    generalist: TASKS,
    arithmetic: TASKS,
    facts: TASKS,
  };
  for (const name of MODELS) {
    const be = await openLlamaCppBackend({ modelPath: files[name] as string, threads: 1 });
    try {
      for (const t of wanted[name] ?? []) {
        const task = reg.resolve([t]).tasks[0];
        assert.ok(task, t);
        const r = await runContamination(store, be, {
          modelId: name,
          task,
          dataDir: "tasks/synthetic",
          shards: 20,
          permutations: 10,
          seed: 1234,
        });
        reports.set(key(name, t), r);
      }
      if (name === "contaminated") {
        const scored = await new RollingScorer(be, store.evals).score(controlTexts(), true);
        controlMinKpp = scored.map((d) => minKPlusPlus(d.tokenLogprobs ?? [], d.tokenStats ?? [], 0.2));
      }
    } finally {
      await be.close();
    }
  }
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function rep(m: string, t: string): ContaminationReport {
  const r = reports.get(key(m, t));
  assert.ok(r, `no report for ${m} on ${t}`);
  return r;
}

test("the contaminated model is flagged on the benchmark it saw: exchangeability p < 0.01", (t) => {
  const r = rep("contaminated", "synthetic_math_mc");
  t.diagnostic(`contaminated/math: p=${r.exchangeability.pValue} meanDiff=${r.exchangeability.meanDiff}`);
  assert.ok(r.exchangeability.pValue < 0.01, `p=${r.exchangeability.pValue} meanDiff=${r.exchangeability.meanDiff}`);
  assert.equal(r.flagged, true);
});

test("Min-K%++ separates seen from unseen items with AUC >= 0.85", (t) => {
  const seen = rep("contaminated", "synthetic_math_mc").perItem.map((p) => p.minKpp as number);
  assert.equal(controlMinKpp.length, 120);
  const a = auc(seen, controlMinKpp);
  t.diagnostic(`Min-K%++ AUC, contaminated model, test items (seen 300x) vs control items (never seen): ${a}`);
  // For the record, not asserted: the same test items under the contaminated model and under its clean twin.
  // Min-K%++ standardizes per model, so a cross-model comparison is confounded by calibration.
  const twin = rep("facts", "synthetic_math_mc").perItem.map((p) => p.minKpp as number);
  t.diagnostic(`Min-K%++ AUC, test items, contaminated vs its twin (facts): ${auc(seen, twin)}`);
  assert.ok(a >= 0.85, `AUC ${a}`);
});

const CLEAN = ["generalist", "arithmetic", "facts"] as const;

test("clean models are not flagged on any benchmark (exchangeability p >= the verdict's alpha, 0.01)", (tc) => {
  const bad: string[] = [];
  for (const m of CLEAN)
    for (const t of TASKS) {
      const r = rep(m, t);
      tc.diagnostic(`${m}/${t}: p=${r.exchangeability.pValue.toFixed(4)} flagged=${r.flagged}`);
      if (r.flagged || !(r.exchangeability.pValue >= ALPHA)) bad.push(`${m}/${t}: p=${r.exchangeability.pValue}`);
    }
  assert.deepEqual(bad, []);
});

// Issue 8 asks for p > 0.05 on all nine clean pairs. Under exchangeability (test files in seeded random order)
// a clean model's p-value is uniform, so a valid test puts at least one of nine below 0.05 with probability
// 1 - 0.95^9 = 37%. On this zoo facts/knowledge gives p = 0.023; re-drawing the file order until every pair
// passes would only select a lucky order (a second draw put arithmetic/reasoning at p = 0.009), so the order
// stays the first seeded draw and this stricter check stays a TODO that reports the numbers.
test("clean models: exchangeability p > 0.05 on every benchmark (issue 8's criterion)", {
  todo: "expected to fail for one of nine uniform p-values 37% of the time; see comment",
}, () => {
  const low = CLEAN.flatMap((m) =>
    TASKS.map((t) => [`${m}/${t}`, rep(m, t).exchangeability.pValue] as const).filter(([, p]) => !(p > 0.05)),
  );
  assert.deepEqual(low, []);
});

test("npm start's lighter settings (3 orders per shard, no lowercase pass) reach the same verdicts", async (tc) => {
  const files = manifestFiles();
  const reg = TaskRegistry.load(["tasks"]);
  const bad: string[] = [];
  for (const name of MODELS) {
    const be = await openLlamaCppBackend({ modelPath: files[name] as string, threads: 1 });
    try {
      for (const t of name === "contaminated" ? ["synthetic_math_mc"] : TASKS) {
        const task = reg.resolve([t]).tasks[0];
        assert.ok(task, t);
        // Every text was scored above (the first 3 of the 10 seeded orders, the same items): served from the cache.
        const r = await runContamination(store, be, {
          modelId: `${name}-start`,
          task,
          dataDir: "tasks/synthetic",
          ...ZOO_CONTAMINATION,
          seed: 1234,
        });
        tc.diagnostic(`${name}/${t}: p=${r.exchangeability.pValue.toPrecision(3)} sent=${r.stats.sent}`);
        assert.equal(r.stats.sent, 0, "served from the cache");
        const want = name === "contaminated";
        if (r.flagged !== want) bad.push(`${name}/${t}: flagged=${r.flagged} p=${r.exchangeability.pValue}`);
      }
    } finally {
      await be.close();
    }
  }
  assert.deepEqual(bad, []);
});
