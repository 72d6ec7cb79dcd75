import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fixtureLog, fixtureSample, fixtureSpec, fixtureTaskResult } from "../../test/support/run-fixture.ts";
import { ARENA_MERGED, sharedData } from "../../test/support/shared-data.ts";
import { createRng } from "../core/rng.ts";
import type { Vote } from "../core/votes.ts";
import { openStore } from "../store/sqlite/index.ts";
import type { Store } from "../store/store.ts";
import { compareModels } from "./compare.ts";
import { importFile, parseImport, search } from "./service.ts";
import { JUDGE_SOURCE, ownItemScores, RUNS_SOURCE, syncOwnEvidence, VOTES_SOURCE } from "./sync.ts";

/** Two models answer the same 40 items; A gets the first 30 right, B the first 26 (A right wherever B is). */
async function seedRuns(store: Store) {
  for (const [model, correct] of [
    ["org/a", 30],
    ["org/b", 26],
  ] as const) {
    const id = `run-${model.replace("/", "-")}`;
    const spec = fixtureSpec({ model, tasks: ["quiz"] });
    await store.evals.ensureRun({ id, modelId: model, identity: {}, spec });
    await store.evals.putSamples(
      id,
      Array.from({ length: 40 }, (_, d) =>
        fixtureSample({
          task: "quiz",
          docId: d,
          scores: [{ metric: "acc", filter: "none", value: d < correct ? 1 : 0 }],
        }),
      ),
    );
    const p = correct / 40;
    const acc = { metric: "acc", filter: "none" };
    await store.evals.finishRun(
      id,
      fixtureLog(spec, {
        quiz: fixtureTaskResult({
          metrics: [{ ...acc, value: p, stderr: Math.sqrt((p * (1 - p)) / 39) }],
          n: 40,
          randomBaseline: 0.25,
          primary: acc,
        }),
        untagged: fixtureTaskResult({ metrics: [{ ...acc, value: 0.5, stderr: null }], n: 10, primary: acc }),
      }),
    );
  }
}

async function seedVotes(store: Store) {
  const rng = createRng(7);
  const votes: Vote[] = [];
  // strong beats mid 80% of the time, mid beats weak 80%: ratings ordered strong > mid > weak.
  const pairs: Array<[string, string, number]> = [
    ["org/strong", "org/mid", 0.8],
    ["org/mid", "org/weak", 0.8],
    ["org/strong", "org/weak", 0.9],
  ];
  for (const [a, b, p] of pairs) {
    for (let i = 0; i < 200; i++)
      votes.push({ modelA: a, modelB: b, winner: rng.next() < p ? "model_a" : "model_b", category: "writing" });
    // The same models in a second category, with the order reversed.
    for (let i = 0; i < 200; i++)
      votes.push({ modelA: a, modelB: b, winner: rng.next() < p ? "model_b" : "model_a", category: "roleplay" });
  }
  await store.votes.add("test", votes);
  await store.votes.add("judge:x", votes.slice(0, 50));
}

async function seedJudgments(store: Store) {
  for (const [model, scores] of [
    ["org/a", [8, 9, 7, 8]],
    ["org/b", [6, 7, 5, 6]],
  ] as const) {
    for (const [i, score] of scores.entries()) {
      await store.judging.putJudgment({
        key: `${model}-${i}`,
        judge: "judge-x",
        kind: "single",
        setName: "heldout",
        promptId: `p${i}`,
        category: "extraction",
        answerFirst: `ans-${model}-${i}`,
        answerSecond: null,
        modelFirst: model,
        modelSecond: null,
        verdict: null,
        score,
        parseError: null,
        raw: `Rating: [[${score}]]`,
        referenceGuided: false,
        judgePromptHash: "h",
      });
    }
  }
}

test("sync brings runs (by task category), judge grades and vote ratings into the map", async () => {
  const store = openStore(":memory:");
  try {
    await seedRuns(store);
    await seedVotes(store);
    await seedJudgments(store);
    const report = await syncOwnEvidence(store, {
      categoryOf: (t) => (t === "quiz" ? ["knowledge", "reasoning"] : undefined),
      bootstrap: 50,
      seed: 3,
    });
    assert.equal(report.runs.evidence, 2);
    assert.equal(report.runs.skipped.length, 2, "the untagged task is reported, not mapped");
    assert.match(report.runs.skipped[0] ?? "", /untagged: the task has no category tag/);
    const quizA = (await store.capmap.evidence({ modelId: "org/a", source: RUNS_SOURCE }))[0];
    assert.equal(quizA?.category, "knowledge");
    assert.ok(quizA && Math.abs(quizA.scaled - (100 * (75 - 25)) / 75) < 1e-9);

    assert.equal(report.judge.evidence, 2);
    const ja = (await store.capmap.evidence({ modelId: "org/a", source: JUDGE_SOURCE }))[0];
    assert.equal(ja?.value, 8);
    assert.ok(ja && Math.abs(ja.scaled - (100 * 7) / 9) < 1e-9);

    assert.deepEqual(report.votes.categories.sort(), ["roleplay", "writing"]);
    const writing = await search(store, "writing");
    assert.deepEqual(
      writing.results.map((h) => h.modelId),
      ["org/strong", "org/mid", "org/weak"],
    );
    assert.ok(writing.results.every((h) => h.sources.includes(VOTES_SOURCE)));
    assert.deepEqual(
      (await search(store, "roleplay")).results.map((h) => h.modelId),
      ["org/weak", "org/mid", "org/strong"],
      "a model rated in two categories keeps both ratings",
    );
    const metrics = (await store.capmap.evidence({ modelId: "org/strong", source: VOTES_SOURCE })).map((e) => e.metric);
    assert.deepEqual(metrics.sort(), [
      "judge:x/bt-rating:writing",
      "test/bt-rating:roleplay",
      "test/bt-rating:writing",
    ]);

    // Syncing again replaces rather than adds.
    await syncOwnEvidence(store, { categoryOf: () => ["knowledge"], bootstrap: 50, seed: 3 });
    assert.equal((await store.capmap.evidence({ source: RUNS_SOURCE })).length, 4);
  } finally {
    await store.close();
  }
});

test("sync leaves a blind (reveal: never) campaign's votes off the public map unless asked", async () => {
  const store = openStore(":memory:");
  try {
    const campaign = (id: string, reveal: "after" | "never") =>
      store.labeling.createCampaign(
        { id, name: id, setName: "s", models: ["org/x", "org/y"], perLabeler: 5, reveal, goldRate: 0, seed: 1 },
        [],
      );
    await campaign("open", "after");
    await campaign("blind", "never");
    const votes = (source: string) =>
      store.votes.add(
        source,
        Array.from({ length: 12 }, (_, n) => ({
          modelA: "org/x",
          modelB: "org/y",
          winner: n % 3 === 0 ? ("model_b" as const) : ("model_a" as const),
          shownFirst: "model_a" as const,
          category: "writing",
        })),
      );
    await votes("label:open");
    await votes("label:blind");
    const opts = { categoryOf: () => undefined, bootstrap: 0 };
    const report = await syncOwnEvidence(store, opts);
    const metrics = async () =>
      (await store.capmap.evidence({ source: VOTES_SOURCE })).map((e) => e.metric.split("/")[0]);
    assert.deepEqual([...new Set(await metrics())], ["label:open"]);
    assert.ok(report.votes.warnings.some((w) => /label:blind: left out, a blind/.test(w)));
    await syncOwnEvidence(store, { ...opts, includeBlind: true });
    assert.deepEqual([...new Set(await metrics())].sort(), ["label:blind", "label:open"]);
  } finally {
    await store.close();
  }
});

test("compare-models pairs per-item scores of runs on the same items: a narrower interval than unpaired", async () => {
  const store = openStore(":memory:");
  try {
    await seedRuns(store);
    await syncOwnEvidence(store, { categoryOf: (t) => (t === "quiz" ? ["knowledge"] : undefined), bootstrap: 0 });
    const unpaired = await compareModels(store, "org/a", "org/b");
    const paired = await compareModels(store, "org/a", "org/b", await ownItemScores(store));
    const u = unpaired.categories.find((c) => c.category === "knowledge");
    const p = paired.categories.find((c) => c.category === "knowledge");
    assert.equal(u?.paired, false);
    assert.equal(p?.paired, true);
    assert.ok(p?.diff !== undefined && Math.abs(p.diff - (100 * 4) / 40 / 0.75) < 1e-9);
    const width = (c: typeof p) => (c?.hi ?? 0) - (c?.lo ?? 0);
    assert.ok(width(p) < width(u), `paired ${width(p)} should be narrower than unpaired ${width(u)}`);
    assert.equal(p?.verdict, "a", "4 of 40 items differ, all in A's favour: paired, that is significant");
    assert.equal(u?.verdict, "tie", "unpaired, the same difference is within the noise");
  } finally {
    await store.close();
  }
});

test("import arena: battle files are fitted by the ratings engine into per-category ratings", () => {
  const file = sharedData("arena_33k_pprank", "human.json");
  const text = readFileSync(file, "utf8");
  const r = parseImport("arena", file, text);
  assert.equal(r.source, "arena-battles:human");
  const models = new Set(r.evidence.map((e) => e.modelId));
  assert.equal(models.size, 20);
  assert.ok(
    r.evidence.every(
      (e) => e.category === "chat" && e.kind === "rating" && (e.lo ?? 0) <= e.value && e.value <= (e.hi ?? 0),
    ),
  );
  const top = [...r.evidence].sort((a, b) => b.value - a.value)[0];
  assert.equal(top?.modelId, "gpt-4");
});

test("import arena: battle-file names resolve to Hugging Face ids through aliases from an earlier table", async () => {
  const store = openStore(":memory:");
  try {
    await importFile(store, "arena", sharedData(...ARENA_MERGED));
    await importFile(store, "arena", sharedData("arena_pairwise_counts_20240814", "chatbotarena_20240814.json"));
    const gemma = await store.capmap.evidence({
      modelId: "google/gemma-2-9b-it",
      source: "arena-battles:chatbotarena_20240814",
    });
    assert.equal(gemma.length, 1, "gemma-2-9b-it from the counts file attaches to google/gemma-2-9b-it");
    assert.equal((await store.capmap.evidence({ modelId: "gemma-2-9b-it" })).length, 0);
  } finally {
    await store.close();
  }
});
