/**
 * The store contract: every repository of `Store`, run against both implementations (SQLite in memory and a
 * fresh PostgreSQL database), with the same calls and the same expected answers. A behaviour that one store has
 * and the other lacks fails here. Transactions and iterators: `contract-tx.test.ts`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { storeKinds } from "../../test/support/stores.ts";
import { collect } from "../core/iter.ts";
import type { Vote } from "../core/votes.ts";
import type { AbExperiment } from "./ab.ts";
import type { CapCell, CapEvidence } from "./capmap.ts";
import type { AnswerRecord, JudgmentRecord } from "./judging.ts";
import { labelRating } from "./labeling.ts";
import type { EvalSample, RunLogV1, RunSpec } from "./run-log.ts";
import type { Store } from "./store.ts";

const vote = (modelA: string, modelB: string, extra: Partial<Vote> = {}): Vote => ({
  modelA,
  modelB,
  winner: "model_a",
  ...extra,
});

const spec = (model: string): RunSpec => ({
  model,
  model_identity: { engine: "test" },
  tasks: ["arc", "hellaswag"],
  task_hashes: { arc: "h1", hellaswag: "h2" },
  groups: [],
  limit: null,
  seed: 1234,
  num_fewshot: null,
  chat_template: false,
  system_prompt: null,
  system_prompt_sha256: null,
  fewshot_as_multiturn: false,
  results_version: 1,
});

const runLog = (s: RunSpec): RunLogV1 => ({
  version: 1,
  spec: s,
  results: {
    arc: {
      alias: "arc",
      version: 1,
      hash: "h1",
      nShot: 0,
      nSamples: { original: 10, effective: 2 },
      metrics: [{ metric: "acc", filter: "none", value: 0.5, stderr: 0.5 }],
      higherIsBetter: { acc: true },
      n: 2,
      nErrors: 0,
      failures: [],
      randomBaseline: 0.25,
      primary: { metric: "acc", filter: "none" },
      normalizedScore: 33.3,
      config: { task: "arc" },
    },
  },
  groups: {},
  timing: { startedAt: "2026-01-01T00:00:00.000Z", finishedAt: "2026-01-01T00:01:00.000Z", seconds: 60 },
});

const sample = (task: string, docId: number, extra: Partial<EvalSample> = {}): EvalSample => ({
  task,
  docId,
  doc: { q: `question ${docId}`, unicode: "é ü 中 🎉" },
  target: docId % 4,
  arguments: [{ kind: "loglikelihood", context: `Q${docId}`, continuation: " A" }],
  resps: [[-1.25, true]],
  filteredResps: { none: [[-1.25, true]] },
  hashes: { doc: "d", prompt: "p", target: "t" },
  pred: 0,
  timings: { backendMs: 1.5, cached: false },
  scores: [{ metric: "acc", filter: "none", value: docId % 2 }],
  error: null,
  ...extra,
});

const answer = (key: string, model: string, promptId: string, extra: Partial<AnswerRecord> = {}) => ({
  key,
  setName: "set",
  promptId,
  model,
  outputs: [`answer of ${model} to ${promptId}`],
  params: { temperature: 0 },
  finishReasons: ["stop"],
  error: null,
  chars: 10,
  tokens: 3,
  headers: 0,
  lists: 1,
  bold: 0,
  ...extra,
});

const judgment = (key: string, extra: Partial<JudgmentRecord> = {}): JudgmentRecord => ({
  key,
  judge: "judge-1",
  kind: "pairwise",
  setName: "set",
  promptId: "p1",
  category: "writing",
  answerFirst: "a1",
  answerSecond: "a2",
  modelFirst: "m1",
  modelSecond: "m2",
  verdict: "first",
  score: null,
  parseError: null,
  raw: "[[A]]",
  referenceGuided: false,
  judgePromptHash: "jh",
  ...extra,
});

const evidence = (modelId: string, source: string, metric: string, value: number, extra: Partial<CapEvidence> = {}) =>
  ({
    modelId,
    source,
    kind: "benchmark",
    metric,
    category: "reasoning",
    value,
    scaled: value,
    scaledLo: value - 1,
    scaledHi: value + 1,
    ...extra,
  }) satisfies CapEvidence;

const cell = (modelId: string, category: string, estimate: number, extra: Partial<CapCell> = {}): CapCell => ({
  modelId,
  category,
  estimate,
  lo: estimate - 5,
  hi: estimate + 5,
  n: 100,
  evidence: 1,
  sources: ["s1"],
  ...extra,
});

/** Model ids whose byte order differs from a locale's: the stores sort text as SQLite does (bytewise). */
const ODD_IDS = ["Zeta/m", "alpha/m", "beta/m", "Éclair/m", "_under/m"];
const BYTE_ORDER = [...ODD_IDS].sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b)) as number) || 0);

/**
 * A prompt set "pub" of `prompts`, labelers with ids `labelers`, and campaign "c1" (m1 vs m2, K = 3, one item per
 * prompt, gold where `gold` says); returns the items' ids in prompt order.
 */
async function labelingFixture(
  store: Store,
  prompts: string[],
  labelers: string[],
  gold: (i: number) => "model_a" | null = () => null,
): Promise<number[]> {
  await store.judging.putPromptSet(
    { name: "pub", contentHash: "h", secret: false, canary: null, description: null, origin: null },
    prompts.map((id) => ({ setName: "pub", id, category: "c", turns: ["q"], reference: null, tags: [] })),
  );
  for (const id of labelers)
    await store.labeling.createLabeler({
      id,
      sessionHash: `s-${id}`,
      csrfToken: "c",
      language: null,
      expertise: null,
      region: null,
    });
  await store.labeling.createCampaign(
    { id: "c1", name: "C", setName: "pub", models: ["m1", "m2"], perLabeler: 3, reveal: "after", goldRate: 0, seed: 1 },
    prompts.map((promptId, i) => ({
      promptId,
      modelA: "m1",
      modelB: "m2",
      answerA: `a-${promptId}`,
      answerB: `b-${promptId}`,
      goldWinner: gold(i),
    })),
  );
  return (await store.labeling.items("c1")).map((i) => i.id);
}

async function mapFixture(store: Store): Promise<void> {
  await store.capmap.importSource({
    kind: "leaderboard",
    source: "s1",
    file: "f1.csv",
    fileSha256: "sha1",
    models: [
      { id: "org/big", name: "Big", paramsB: 70, license: "apache-2.0", merged: false, flagged: false },
      { id: "org/small", name: "Small", paramsB: 7, license: "MIT", merged: true },
      { id: "org/flagged", paramsB: 13, license: "mit", flagged: true, hasChatTemplate: true },
    ],
    aliases: [{ alias: "Big Model", modelId: "org/big" }],
    evidence: [
      evidence("org/big", "s1", "arc", 80, { n: 100, baseline: 25, lo: 75, hi: 85 }),
      evidence("org/small", "s1", "arc", 60),
      evidence("org/flagged", "s1", "arc", 70),
      evidence("org/big", "s1", "mt-bench", 8.5, { kind: "judge", category: "writing" }),
    ],
  });
  await store.capmap.replaceCells([
    cell("org/big", "reasoning", 80),
    cell("org/small", "reasoning", 60, { sources: ["s1", "s2"] }),
    cell("org/flagged", "reasoning", 70),
    cell("org/big", "writing", 85),
  ]);
}

for (const kind of storeKinds()) {
  describe(`${kind.name} store`, () => {
    test("votes: an import is atomic and idempotent per source and file; ids come back in order", () =>
      kind.with(async (store) => {
        const votes = [
          vote("x", "y", { shownFirst: "model_a", judge: "h1", turn: 1, anony: true, tstamp: 1.5 }),
          vote("y", "z", { winner: "tie_bothbad", category: "math", language: "fr", rationale: "é ü 中" }),
        ];
        const batch = { source: "s", file: "f.jsonl", fileSha256: "abc", votes };
        assert.deepEqual(await store.votes.importBatch(batch), { inserted: 2, duplicate: false });
        assert.deepEqual(await store.votes.importBatch(batch), { inserted: 0, duplicate: true });
        // The same file into another source is another import.
        assert.deepEqual(await store.votes.importBatch({ ...batch, source: "t" }), { inserted: 2, duplicate: false });
        await assert.rejects(() =>
          store.votes.importBatch({ source: "s", file: "g", fileSha256: "def", votes: [...votes, vote("q", "q")] }),
        );
        assert.equal(await store.votes.count(), 4, "the batch with a bad vote left nothing behind");
        const ids = await store.votes.add("live", [vote("a", "b"), vote("c", "d"), vote("e", "f")]);
        assert.equal(ids.length, 3);
        assert.deepEqual(
          ids,
          [...ids].sort((a, b) => a - b),
        );
        const byId = new Map((await collect(store.votes.iterate({ sources: ["live"] }))).map((v) => [v.id, v]));
        assert.deepEqual(
          ids.map((id) => byId.get(id)?.modelA),
          ["a", "c", "e"],
        );
        assert.deepEqual(await store.votes.add("live", []), []);
        const [first] = await collect(store.votes.iterate({ sources: ["s"] }));
        assert.deepEqual(
          { ...first, id: 0 },
          {
            id: 0,
            source: "s",
            modelA: "x",
            modelB: "y",
            winner: "model_a",
            shownFirst: "model_a",
            judge: "h1",
            turn: 1,
            anony: true,
            tstamp: 1.5,
          },
        );
      }));

    test("votes: filters, counts, sources and deleting a source", () =>
      kind.with(async (store) => {
        await store.votes.add("a", [
          vote("m1", "m2", { judge: "j1", category: "math", turn: 1, anony: true, promptId: "p1" }),
          vote("m2", "m3", { judge: "j2", category: "code", turn: 2, anony: false }),
        ]);
        await store.votes.add("b", [vote("m1", "m3", { language: "de" })]);
        const count = (filters: Array<{ field: string; value: string }>, sources?: string[]) =>
          store.votes.count(sources ? { filters, sources } : { filters });
        assert.equal(await count([{ field: "model", value: "m1" }]), 2);
        assert.equal(await count([{ field: "judge", value: "j1" }]), 1);
        assert.equal(await count([{ field: "turn", value: "2" }]), 1);
        assert.equal(await count([{ field: "turn", value: "two" }]), 0);
        assert.equal(await count([{ field: "anony", value: "true" }]), 1);
        assert.equal(await count([{ field: "anony", value: "0" }]), 1);
        assert.equal(await count([{ field: "question_id", value: "p1" }]), 1);
        assert.equal(await count([{ field: "language", value: "de" }]), 1);
        assert.equal(await count([{ field: "model", value: "m3" }], ["a"]), 1);
        assert.equal(await count([], ["a", "b"]), 3);
        await assert.rejects(() => count([{ field: "nope", value: "1" }]), /cannot filter stored votes on 'nope'/);
        const sources = await store.votes.sources();
        assert.deepEqual(
          sources.map((s) => [s.source, s.votes]),
          [
            ["a", 2],
            ["b", 1],
          ],
        );
        assert.match(sources[0]?.firstAt ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.ok((sources[0]?.firstAt ?? "") <= (sources[0]?.lastAt ?? ""));
        await store.votes.importBatch({ source: "a", file: "f", fileSha256: "h", votes: [vote("m4", "m5")] });
        assert.equal(await store.votes.deleteSource("a"), 3);
        assert.equal(await store.votes.count(), 1);
        // The import record went with its votes: the same file imports again.
        assert.deepEqual(
          await store.votes.importBatch({ source: "a", file: "f", fileSha256: "h", votes: [vote("m4", "m5")] }),
          { inserted: 1, duplicate: false },
        );
      }));

    test("evals: runs are created once, finished, failed and resumed", () =>
      kind.with(async (store) => {
        const s = spec("model-a");
        const run = await store.evals.ensureRun({
          id: "abc123",
          modelId: "model-a",
          identity: { engine: "x" },
          spec: s,
        });
        assert.equal(run.status, "running");
        assert.deepEqual(run.spec, s);
        assert.deepEqual(run.identity, { engine: "x" });
        assert.equal(run.failure, null);
        assert.equal(run.log, null);
        const again = await store.evals.ensureRun({
          id: "abc123",
          modelId: "other",
          identity: {},
          spec: spec("other"),
        });
        assert.equal(again.modelId, "model-a", "an existing run is returned as stored");
        await store.evals.ensureRun({ id: "abd999", modelId: "model-b", identity: {}, spec: spec("model-b") });
        await store.evals.ensureRun({ id: "zzz000", modelId: "model-c", identity: {}, spec: spec("model-c") });
        assert.deepEqual((await store.evals.findRuns("ab")).map((r) => r.id).sort(), ["abc123", "abd999"]);
        assert.deepEqual(await store.evals.findRuns("q"), []);
        assert.equal((await store.evals.listRuns()).length, 3);
        await store.evals.failRun("abc123", { reason: "backend", message: "connection refused" });
        const failed = await store.evals.getRun("abc123");
        assert.equal(failed?.status, "failed");
        assert.deepEqual(failed?.failure, { reason: "backend", message: "connection refused" });
        await store.evals.markRunning("abc123");
        assert.equal((await store.evals.getRun("abc123"))?.failure, null);
        await store.evals.finishRun("abc123", runLog(s));
        const done = await store.evals.getRun("abc123");
        assert.equal(done?.status, "complete");
        assert.deepEqual(done?.log, runLog(s));
        assert.ok((done?.updatedAt ?? "") >= (done?.createdAt ?? "z"));
        assert.equal(await store.evals.getRun("nope"), undefined);
      }));

    test("evals: the request cache keeps the first answer; errors are recorded, replaced and cleared", () =>
      kind.with(async (store) => {
        await store.evals.ensureRun({ id: "r1", modelId: "m", identity: {}, spec: spec("m") });
        await store.evals.recordErrors("r1", [
          { key: "k1", message: "timeout", reason: "backend" },
          { key: "k2", message: "no logprobs", reason: "unsupported" },
        ]);
        await store.evals.recordErrors("r1", [{ key: "k2", message: "still no logprobs", reason: "unsupported" }]);
        assert.deepEqual(Object.fromEntries(await store.evals.runErrors("r1", ["k1", "k2", "k3"])), {
          k1: { message: "timeout", reason: "backend" },
          k2: { message: "still no logprobs", reason: "unsupported" },
        });
        await store.evals.cachePut("r1", [
          { key: "k1", value: '{"v":1}' },
          { key: "k1", value: '{"v":2}' },
        ]);
        await store.evals.cachePut("r1", [{ key: "k1", value: '{"v":3}' }]);
        assert.deepEqual(Object.fromEntries(await store.evals.cacheGet(["k1", "k2"])), { k1: '{"v":1}' });
        assert.deepEqual(
          [...(await store.evals.runErrors("r1", ["k1", "k2"])).keys()],
          ["k2"],
          "a cached answer clears its error",
        );
        // Many keys at once (past SQLite's chunk of bound parameters).
        const many = Array.from({ length: 1200 }, (_, i) => ({ key: `key-${i}`, value: String(i) }));
        await store.evals.cachePut("r1", many);
        assert.equal((await store.evals.cacheGet(many.map((e) => e.key))).size, 1200);
        assert.deepEqual(await store.evals.cacheGet([]), new Map());
      }));

    test("evals: samples are replaced per (task, doc), read back in order, in pages, and counted per task", () =>
      kind.with(async (store) => {
        await store.evals.ensureRun({ id: "r1", modelId: "m", identity: {}, spec: spec("m") });
        await store.evals.ensureRun({ id: "r2", modelId: "m", identity: {}, spec: spec("m") });
        const arc = Array.from({ length: 1500 }, (_, i) => sample("arc", 1499 - i));
        await store.evals.putSamples("r1", arc);
        await store.evals.putSamples("r1", [
          sample("hellaswag", 2, { error: "timeout", errorReason: "backend", scores: [] }),
          sample("hellaswag", 10),
          sample("arc", 7, { pred: 3 }),
        ]);
        await store.evals.putSamples("r2", [sample("arc", 0)]);
        const all = await collect(store.evals.iterateSamples("r1"));
        assert.equal(all.length, 1502);
        assert.deepEqual(
          all.map((s) => `${s.task}#${s.docId}`).slice(0, 3),
          ["arc#0", "arc#1", "arc#2"],
          "ordered by task, then document number (not text)",
        );
        assert.deepEqual(
          all.slice(-2).map((s) => `${s.task}#${s.docId}`),
          ["hellaswag#2", "hellaswag#10"],
        );
        assert.equal(all.find((s) => s.docId === 7 && s.task === "arc")?.pred, 3, "replaced, not duplicated");
        assert.deepEqual(all[1], sample("arc", 1));
        const hs = await collect(store.evals.iterateSamples("r1", "hellaswag"));
        assert.deepEqual(hs[0], sample("hellaswag", 2, { error: "timeout", errorReason: "backend", scores: [] }));
        assert.deepEqual(await store.evals.sampleTasks("r1"), [
          { task: "arc", n: 1500, errors: 0 },
          { task: "hellaswag", n: 2, errors: 1 },
        ]);
        assert.deepEqual(await collect(store.evals.iterateSamples("r3")), []);
      }));

    test("judging: prompt sets are replaced whole; items keep their order", () =>
      kind.with(async (store) => {
        const item = (id: string, extra = {}) => ({
          setName: "set",
          id,
          category: "writing",
          turns: ["Write a haiku.", "Now in French."],
          reference: null,
          tags: ["short"],
          ...extra,
        });
        const set = { name: "set", contentHash: "h1", secret: true, canary: "c", description: "d", origin: null };
        await store.judging.putPromptSet(set, [item("q2"), item("q1", { reference: ["a", "b"] }), item("q10")]);
        assert.deepEqual(await store.judging.getPromptSet("set"), { ...set, items: 3 });
        assert.deepEqual(
          (await store.judging.promptItems("set")).map((i) => i.id),
          ["q2", "q1", "q10"],
        );
        assert.deepEqual(await store.judging.promptItem("set", "q1"), item("q1", { reference: ["a", "b"] }));
        await store.judging.putPromptSet({ ...set, contentHash: "h2", secret: false }, [
          item("q3", { reference: "x" }),
        ]);
        assert.deepEqual(await store.judging.getPromptSet("set"), {
          ...set,
          contentHash: "h2",
          secret: false,
          items: 1,
        });
        assert.equal(await store.judging.promptItem("set", "q1"), undefined);
        await store.judging.putPromptSet({ ...set, name: "another" }, []);
        assert.deepEqual(
          (await store.judging.listPromptSets()).map((s) => [s.name, s.items]),
          [
            ["another", 0],
            ["set", 1],
          ],
        );
        assert.equal(await store.judging.getPromptSet("nope"), undefined);
      }));

    test("judging: answers are keyed, replaced, and the latest successful one per prompt and model is found", () =>
      kind.with(async (store) => {
        await store.judging.putAnswer(answer("k1", "m1", "p1"));
        await store.judging.putAnswer(answer("k2", "m1", "p1", { outputs: ["newer"] }));
        await store.judging.putAnswer(answer("k3", "m1", "p1", { error: "timeout", outputs: [] }));
        await store.judging.putAnswer(answer("k4", "m2", "p1"));
        await store.judging.putAnswer(answer("k5", "m1", "p2"));
        await store.judging.putAnswer(answer("k6", "m3", "p1"));
        const got = await store.judging.getAnswer("k2");
        assert.deepEqual(
          { ...got, createdAt: "" },
          { ...answer("k2", "m1", "p1", { outputs: ["newer"] }), createdAt: "" },
        );
        assert.deepEqual([...(await store.judging.getAnswers(["k5", "nope", "k1"])).keys()], ["k5", "k1"]);
        const latest = await store.judging.latestAnswers("set", ["m1", "m2"]);
        assert.deepEqual(
          latest.map((a) => a.key),
          ["k2", "k4", "k5"],
          "per (prompt, model), ordered by prompt then model; errors and other models left out",
        );
        // Replacing an answer makes it the latest again.
        await store.judging.putAnswer(answer("k1", "m1", "p1", { outputs: ["replaced"] }));
        assert.deepEqual(
          (await store.judging.latestAnswers("set", ["m1"])).map((a) => [a.key, a.outputs[0]]),
          [
            ["k1", "replaced"],
            ["k5", "answer of m1 to p2"],
          ],
        );
        assert.deepEqual(await store.judging.latestAnswers("set", []), []);
      }));

    test("judging: judgments in the order written, filtered; a judged pair is voted once", () =>
      kind.with(async (store) => {
        await store.judging.putJudgment(judgment("j2"));
        await store.judging.putJudgment(
          judgment("j1", { kind: "single", score: 7.5, answerSecond: null, verdict: null }),
        );
        await store.judging.putJudgment(judgment("j3", { judge: "judge-2", referenceGuided: true, parseError: "bad" }));
        assert.deepEqual(
          (await store.judging.judgments({})).map((j) => j.key),
          ["j2", "j1", "j3"],
        );
        assert.deepEqual(
          (await store.judging.judgments({ judge: "judge-1", kind: "pairwise", setName: "set" })).map((j) => j.key),
          ["j2"],
        );
        assert.deepEqual(
          (await store.judging.getJudgments(["j3", "j1"])).get("j3"),
          judgment("j3", { judge: "judge-2", referenceGuided: true, parseError: "bad" }),
        );
        assert.equal((await store.judging.getJudgments(["j1"])).get("j1")?.score, 7.5);
        // Rewriting a judgment moves it to the end, as SQLite's INSERT OR REPLACE does.
        await store.judging.putJudgment(judgment("j2", { verdict: "tie" }));
        assert.deepEqual(
          (await store.judging.judgments({})).map((j) => [j.key, j.verdict]),
          [
            ["j1", null],
            ["j3", "first"],
            ["j2", "tie"],
          ],
        );
        assert.equal(await store.judging.pairVoted("judge-1", "a1", "a2"), undefined);
        await store.judging.markPairVoted("judge-1", "a1", "a2", 41);
        await store.judging.markPairVoted("judge-1", "a1", "a2", 42);
        assert.equal(await store.judging.pairVoted("judge-1", "a1", "a2"), 42);
        assert.equal(await store.judging.pairVoted("judge-1", "a2", "a1"), undefined);
      }));

    test("labeling: labelers, campaigns, assignments and votes recorded once", () =>
      kind.with(async (store) => {
        const L = store.labeling;
        await L.createLabeler({
          id: "l1",
          sessionHash: "s1",
          csrfToken: "c1",
          language: "en",
          expertise: null,
          region: "eu",
        });
        await L.createLabeler({
          id: "l2",
          sessionHash: "s2",
          csrfToken: "c2",
          language: null,
          expertise: "x",
          region: null,
        });
        await assert.rejects(() =>
          L.createLabeler({
            id: "l3",
            sessionHash: "s1",
            csrfToken: "c",
            language: null,
            expertise: null,
            region: null,
          }),
        );
        const l1 = await L.labelerBySession("s1");
        assert.deepEqual(
          { ...l1, createdAt: "" },
          {
            id: "l1",
            language: "en",
            expertise: null,
            region: "eu",
            csrfToken: "c1",
            createdAt: "",
          },
        );
        assert.deepEqual(await L.labeler("l1"), l1);
        assert.equal(await L.labelerBySession("nope"), undefined);
        const campaign = {
          id: "c1",
          name: "First",
          setName: "set",
          models: ["m1", "m2"],
          perLabeler: 3,
          reveal: "after" as const,
          goldRate: 0.25,
          seed: 7,
        };
        const items = [
          { promptId: "p1", modelA: "m1", modelB: "m2", answerA: "a", answerB: "b", goldWinner: null },
          { promptId: "p2", modelA: "m2", modelB: "m1", answerA: "c", answerB: "d", goldWinner: "model_a" },
          { promptId: "p3", modelA: "m1", modelB: "m2", answerA: "e", answerB: "f", goldWinner: null },
        ];
        await L.createCampaign(campaign, items);
        const stored = await L.campaign("c1");
        assert.deepEqual({ ...stored, createdAt: "" }, { ...campaign, createdAt: "" });
        assert.deepEqual(
          (await L.campaigns()).map((c) => c.id),
          ["c1"],
        );
        const its = await L.items("c1");
        assert.deepEqual(
          its.map((i) => i.promptId),
          ["p1", "p2", "p3"],
        );
        const [i1, i2, i3] = its.map((i) => i.id) as [number, number, number];
        assert.deepEqual(await L.item(i2), { ...items[1], id: i2, campaignId: "c1" });
        const assign = (id: string, itemId: number, labelerId: string, seq: number) =>
          L.createAssignment({
            id,
            campaignId: "c1",
            itemId,
            labelerId,
            leftIs: id === "a1" ? "model_b" : "model_a",
            seq,
          });
        assert.equal(await assign("a1", i2, "l1", 1), true);
        assert.equal(await assign("a2", i1, "l1", 2), true);
        assert.equal(await assign("a3", i1, "l2", 1), true);
        // A labeler's n-th assignment exists once: a second one (a racing request) is not stored.
        assert.equal(await assign("a5", i3, "l1", 2), false);
        assert.equal(await L.assignment("a5"), undefined);
        // One item is given to one labeler once.
        await assert.rejects(() => assign("a4", i1, "l1", 3));
        assert.deepEqual(
          (await L.assignmentsOf("c1", "l1")).map((a) => a.id),
          ["a1", "a2"],
          "oldest first",
        );
        await store.votes.add("other", [vote("x", "y")]);
        const rating = { source: "label:c1", vote: vote("m1", "m2", { judge: "human:l1", rationale: "clearer" }) };
        assert.equal(await L.castVote("a2", "left", "clearer", rating), "recorded");
        assert.equal(await L.castVote("a2", "left", "clearer", rating), "same");
        assert.equal(await L.castVote("a2", "right", null, null), "different");
        // A gold item's vote has no rating row.
        assert.equal(await L.castVote("a1", "tie", null, null), "recorded");
        const ratings = await collect(store.votes.iterate({ sources: ["label:c1"] }));
        assert.deepEqual(
          ratings.map((v) => [v.modelA, v.modelB, v.winner, v.judge, v.rationale]),
          [["m1", "m2", "model_a", "human:l1", "clearer"]],
          "one rating row, written once",
        );
        const a2 = await L.assignment("a2");
        assert.equal(a2?.choice, "left");
        assert.equal(a2?.reason, "clearer");
        assert.equal(a2?.voteId, ratings[0]?.id);
        assert.equal((await L.assignment("a1"))?.voteId, null);
        // The rating's id comes after the votes stored before, and ids go on after it.
        const [next] = await store.votes.add("other", [vote("x", "y")]);
        assert.ok((ratings[0]?.id ?? 0) > 1 && (next ?? 0) > (ratings[0]?.id ?? 0));
        assert.match(a2?.votedAt ?? "", /^\d{4}-.*Z$/);
        assert.deepEqual(
          (await L.votedAssignments("c1")).map((a) => a.id),
          ["a1", "a2"],
        );
        assert.deepEqual(Object.fromEntries(await L.itemLoad("c1")), {
          [i1]: { assigned: 2, voted: 1 },
          [i2]: { assigned: 1, voted: 1 },
        });
        assert.equal((await L.itemLoad("c1")).get(i3), undefined);
        assert.deepEqual(await L.progress("c1"), { items: 3, gold: 1, assignments: 3, voted: 2, labelers: 2 });
        assert.deepEqual(await L.progress("nope"), { items: 0, gold: 0, assignments: 0, voted: 0, labelers: 0 });
      }));

    test("labeling: next assignments are stored only from a true picture; voteAs checks the owner and builds the rating", () =>
      kind.with(async (store) => {
        const L = store.labeling;
        const prompt = (id: string, category: string) => ({
          setName: "pub",
          id,
          category,
          turns: ["q"],
          reference: null,
          tags: [],
        });
        await store.judging.putPromptSet(
          { name: "pub", contentHash: "h", secret: false, canary: null, description: null, origin: null },
          [prompt("p1", "coding"), prompt("p2", "writing")],
        );
        for (const id of ["l1", "l2"])
          await L.createLabeler({
            id,
            sessionHash: `s-${id}`,
            csrfToken: "c",
            language: "de",
            expertise: null,
            region: null,
          });
        const campaign = {
          id: "c1",
          name: "C",
          setName: "pub",
          models: ["m1", "m2"],
          perLabeler: 3,
          reveal: "after" as const,
          goldRate: 0,
          seed: 1,
        };
        await L.createCampaign(campaign, [
          { promptId: "p1", modelA: "m1", modelB: "m2", answerA: "a", answerB: "b", goldWinner: null },
          { promptId: "p2", modelA: "m1", modelB: "m2", answerA: "c", answerB: "d", goldWinner: "model_b" },
          { promptId: "p2", modelA: "m2", modelB: "m1", answerA: "e", answerB: "f", goldWinner: null },
        ]);
        const [i1, i2, i3] = (await L.items("c1")).map((i) => i.id) as [number, number, number];
        const next = (id: string, itemId: number, seq: number, labelerId = "l1") =>
          L.createNextAssignment({ id, campaignId: "c1", itemId, labelerId, leftIs: "model_b", seq });
        assert.deepEqual(await next("a1", i1, 1), { created: true });
        // Refused, with the labeler's assignments: a seq that is not next, an open assignment, a seen item.
        const refused = await next("a2", i2, 1);
        assert.equal(refused.created, false);
        assert.deepEqual(refused.created ? [] : refused.mine.map((a) => [a.id, a.itemId, a.choice]), [
          ["a1", i1, null],
        ]);
        assert.equal((await next("a2", i2, 2)).created, false, "a1 is not voted yet");
        assert.equal(await L.assignment("a2"), undefined);
        const template = (winner: "model_a" | "tie") => ({
          source: "label:c1",
          setName: "pub",
          winner,
          judge: "human:l1",
          language: "de",
          tstamp: 1700000000.5,
          rationale: "because",
        });
        // Another labeler's assignment, or another campaign's, is not found and nothing is written.
        assert.equal(
          await L.voteAs({ campaignId: "c1", labelerId: "l2" }, "a1", "left", null, template("model_a")),
          undefined,
        );
        assert.equal(
          await L.voteAs({ campaignId: "c2", labelerId: "l1" }, "a1", "left", null, template("model_a")),
          undefined,
        );
        assert.equal(
          await L.voteAs({ campaignId: "c1", labelerId: "l1" }, "nope", "left", null, template("model_a")),
          undefined,
        );
        assert.deepEqual(
          await L.voteAs({ campaignId: "c1", labelerId: "l1" }, "a1", "left", "because", template("model_a")),
          { outcome: "recorded", itemId: i1, leftIs: "model_b" },
        );
        assert.equal(
          (await L.voteAs({ campaignId: "c1", labelerId: "l1" }, "a1", "left", "because", template("model_a")))
            ?.outcome,
          "same",
        );
        assert.equal(
          (await L.voteAs({ campaignId: "c1", labelerId: "l1" }, "a1", "tie", null, template("tie")))?.outcome,
          "different",
        );
        assert.equal((await next("a2", i1, 2)).created, false, "item i1 was seen");
        assert.deepEqual(await next("a2", i2, 2), { created: true });
        // A gold item's vote has no rating row.
        assert.equal(
          (await L.voteAs({ campaignId: "c1", labelerId: "l1" }, "a2", "tie", null, template("tie")))?.outcome,
          "recorded",
        );
        const ratings = await collect(store.votes.iterate({ sources: ["label:c1"] }));
        const expected = labelRating(
          template("model_a"),
          { promptId: "p1", modelA: "m1", modelB: "m2" },
          "model_b",
          "coding",
        );
        assert.deepEqual(
          ratings.map(({ id: _id, source: _source, ...v }) => v),
          [{ ...expected, category: "coding" }],
          "the rating as labelRating builds it: left model first, the prompt's category",
        );
        const a1 = await L.assignment("a1");
        assert.equal(a1?.choice, "left");
        assert.equal(a1?.reason, "because");
        assert.equal(a1?.voteId, ratings[0]?.id);
        assert.equal((await L.assignment("a2"))?.voteId, null);
        assert.deepEqual(await next("a3", i3, 3), { created: true });
        assert.equal((await next("a4", i3, 4, "l2")).created, false, "l2 has no assignment yet");
      }));

    test("labeling: a vote's proposed next assignment is stored with it only from the labeler's true assignments", () =>
      kind.with(async (store) => {
        const L = store.labeling;
        const [i1, i2, i3, i4] = (await labelingFixture(store, ["p1", "p2", "p3", "p4"], ["l1", "l2"], (i) =>
          i === 1 ? "model_a" : null,
        )) as [number, number, number, number];
        const rating = {
          source: "label:c1",
          setName: "pub",
          winner: "model_a" as const,
          judge: "human:l1",
          language: null,
          tstamp: 1700000000,
          rationale: null,
        };
        const vote = (
          assignmentId: string,
          itemId: number,
          id: string,
          opts: { mine?: boolean; labelerId?: string } = {},
        ) =>
          L.voteAs({ campaignId: "c1", labelerId: opts.labelerId ?? "l1" }, assignmentId, "left", null, rating, {
            ...(opts.mine ? { mine: true } : {}),
            next: { id, itemId, leftIs: "model_a", perLabeler: 3 },
          });
        const ids = async (labelerId = "l1") =>
          (await L.assignmentsOf("c1", labelerId)).map((a) => [a.id, a.itemId, a.choice]);
        const assign = (id: string, itemId: number, seq: number, labelerId = "l1") =>
          L.createAssignment({ id, campaignId: "c1", itemId, labelerId, leftIs: "model_b", seq });
        assert.equal(await assign("a1", i1, 1), true);
        // Not the labeler's: nothing written, the proposal included.
        assert.equal(await vote("a1", i3, "x0", { labelerId: "l2" }), undefined);
        assert.equal(await L.assignment("x0"), undefined);
        // Recorded, and the proposal stored as seq 2 in the same call; `mine` is the picture before it.
        const r1 = await vote("a1", i2, "a2", { mine: true });
        assert.equal(r1?.outcome, "recorded");
        assert.deepEqual(
          r1?.mine?.map((a) => [a.id, a.choice]),
          [["a1", "left"]],
        );
        assert.ok(r1?.next, "the proposal is stored");
        const { createdAt, ...rest } = r1.next;
        assert.deepEqual(rest, {
          id: "a2",
          campaignId: "c1",
          itemId: i2,
          labelerId: "l1",
          leftIs: "model_a",
          choice: null,
          reason: null,
          voteId: null,
          votedAt: null,
          seq: 2,
        });
        assert.equal(createdAt, (await L.assignment("a2"))?.createdAt);
        // A retry of the same vote records nothing, so proposes nothing.
        const again = await vote("a1", i3, "x1");
        assert.equal(again?.outcome, "same");
        assert.equal(again?.next, undefined);
        assert.deepEqual(await ids(), [
          ["a1", i1, "left"],
          ["a2", i2, null],
        ]);
        // The item was seen: the gold vote stands (no rating row), the proposal is refused.
        const seen = await vote("a2", i1, "x2");
        assert.equal(seen?.outcome, "recorded");
        assert.equal(seen?.next, undefined);
        assert.equal(await L.assignment("x2"), undefined);
        assert.equal(await assign("a3", i3, 3), true);
        // At K (3 assignments): refused though i4 is unseen.
        const full = await vote("a3", i4, "x3");
        assert.equal(full?.outcome, "recorded");
        assert.equal(full?.next, undefined);
        assert.deepEqual(await ids(), [
          ["a1", i1, "left"],
          ["a2", i2, "left"],
          ["a3", i3, "left"],
        ]);
        // Another assignment still open: refused.
        await assign("b1", i1, 1, "l2");
        await assign("b2", i2, 2, "l2");
        const open = await vote("b1", i3, "x4", { labelerId: "l2" });
        assert.equal(open?.outcome, "recorded");
        assert.equal(open?.next, undefined);
        const last = await vote("b2", i3, "b3", { labelerId: "l2" });
        assert.equal(last?.next?.seq, 3);
        assert.deepEqual(await ids("l2"), [
          ["b1", i1, "left"],
          ["b2", i2, "left"],
          ["b3", i3, null],
        ]);
        // One rating row per non-gold vote: a1, a3, b1 (b2 is gold).
        assert.equal((await collect(store.votes.iterate({ sources: ["label:c1"] }))).length, 3);
      }));

    test("labeling: next and vote calls made at once (one statement on PostgreSQL) each get their own answer", () =>
      kind.with(async (store) => {
        const L = store.labeling;
        const labelers = ["l1", "l2", "l3", "l4"];
        const [i1, i2] = (await labelingFixture(store, ["p1", "p2", "p3"], labelers)) as [number, number, number];
        const next = (id: string, labelerId: string, itemId: number, seq: number) =>
          L.createNextAssignment({ id, campaignId: "c1", itemId, labelerId, leftIs: "model_a", seq });
        // Three labelers' first assignments and a refused proposal (l4 has no first one), all at once. (Two
        // proposals of one labeler at once go in two statements, which race: batch.test.ts checks that split.)
        const made = await Promise.all([
          next("a1", "l1", i1, 1),
          next("b1", "l2", i1, 1),
          next("y2", "l4", i2, 2),
          next("c1a", "l3", i2, 1),
        ]);
        assert.deepEqual(
          made.map((m) => m.created),
          [true, true, false, true],
          "each proposal decided on its own labeler",
        );
        assert.deepEqual(made[2], { created: false, mine: [] });
        assert.equal(await L.assignment("y2"), undefined);
        const template = (labelerId: string) => ({
          source: "label:c1",
          setName: "pub",
          winner: "model_a" as const,
          judge: `human:${labelerId}`,
          language: null,
          tstamp: 1700000000,
          rationale: null,
        });
        const vote = (labelerId: string, id: string, choice: "left" | "right", mine = false) =>
          L.voteAs({ campaignId: "c1", labelerId }, id, choice, null, template(labelerId), mine ? { mine: true } : {});
        // Votes at once: two labelers', a vote on another's assignment, and the same assignment twice, differently.
        const votes = await Promise.all([
          vote("l1", "a1", "left", true),
          vote("l2", "b1", "right"),
          vote("l2", "a1", "left"),
          vote("l3", "c1a", "left"),
          vote("l3", "c1a", "right"),
        ]);
        assert.deepEqual(votes[0], {
          outcome: "recorded",
          itemId: i1,
          leftIs: "model_a",
          mine: [
            {
              ...(await L.assignment("a1")),
              voteId: votes[0]?.mine?.[0]?.voteId,
              votedAt: votes[0]?.mine?.[0]?.votedAt,
            },
          ],
        });
        assert.equal(votes[0]?.mine?.[0]?.choice, "left", "the picture holds this vote");
        assert.deepEqual(votes[1], { outcome: "recorded", itemId: i1, leftIs: "model_a" }, "no picture unless asked");
        assert.equal(votes[2], undefined, "not l2's assignment");
        assert.deepEqual(
          [votes[3]?.outcome, votes[4]?.outcome].sort(),
          ["different", "recorded"],
          "of two votes on one assignment one records",
        );
        assert.equal(await store.votes.count({ sources: ["label:c1"] }), 3, "one rating per recorded vote");
        const stored = (await L.votedAssignments("c1")).map((a) => [a.id, a.choice]);
        assert.equal(stored.length, 3);
        assert.deepEqual(stored.slice(0, 2), [
          ["a1", "left"],
          ["b1", "right"],
        ]);
        // The next ones, at once, from the pictures the votes brought.
        const second = await Promise.all([next("a2", "l1", i2, 2), next("b2", "l2", i2, 2), next("b3", "l2", i2, 3)]);
        assert.deepEqual(
          second.map((m) => m.created),
          [true, true, false],
        );
      }));

    test("capmap: imports upsert models, replace a source's evidence, and record themselves", () =>
      kind.with(async (store) => {
        await mapFixture(store);
        assert.equal(await store.capmap.modelCount(), 3);
        // A second import of the same source replaces its evidence; new non-empty metadata wins, empty keeps.
        await store.capmap.importSource({
          kind: "leaderboard",
          source: "s1",
          file: "f2.csv",
          fileSha256: "sha2",
          models: [
            { id: "org/big", license: "llama3" },
            { id: "org/big", architecture: "LlamaForCausalLM" },
          ],
          evidence: [evidence("org/big", "s1", "arc", 81)],
        });
        const big = await store.capmap.resolveModel("org/big");
        assert.deepEqual(big, {
          id: "org/big",
          name: "Big",
          paramsB: 70,
          license: "llama3",
          architecture: "LlamaForCausalLM",
          merged: false,
          flagged: false,
        });
        assert.deepEqual(
          (await store.capmap.evidence({ source: "s1" })).map((e) => [e.modelId, e.metric, e.value]),
          [["org/big", "arc", 81]],
        );
        const imports = await store.capmap.imports();
        assert.deepEqual(
          imports.map((i) => [i.kind, i.source, i.file, i.fileSha256, i.rows]),
          [
            ["leaderboard", "s1", "f1.csv", "sha1", 4],
            ["leaderboard", "s1", "f2.csv", "sha2", 1],
          ],
        );
        assert.ok(imports[0] && imports[1] && imports[0].id < imports[1].id);
      }));

    test("capmap: models resolve by id, alias or ASCII case; evidence and metrics read back", () =>
      kind.with(async (store) => {
        await mapFixture(store);
        assert.equal((await store.capmap.resolveModel("Big Model"))?.id, "org/big");
        assert.equal((await store.capmap.resolveModel("ORG/SMALL"))?.id, "org/small");
        assert.equal(await store.capmap.resolveModel("org/nope"), undefined);
        assert.deepEqual(
          [...(await store.capmap.getModels(["org/small", "nope", "org/big"])).keys()],
          ["org/small", "org/big"],
        );
        assert.deepEqual((await store.capmap.allModels()).get("org/flagged"), {
          id: "org/flagged",
          paramsB: 13,
          license: "mit",
          flagged: true,
          hasChatTemplate: true,
        });
        assert.deepEqual(await store.capmap.evidence({ modelId: "org/big", metric: "arc" }), [
          evidence("org/big", "s1", "arc", 80, { n: 100, baseline: 25, lo: 75, hi: 85 }),
        ]);
        assert.deepEqual(
          (await store.capmap.evidence({ modelId: "org/big" })).map((e) => e.category),
          ["reasoning", "writing"],
        );
        const all = await collect(store.capmap.iterateEvidence());
        assert.deepEqual(
          all.map((e) => `${e.modelId}/${e.category}`),
          ["org/big/reasoning", "org/big/writing", "org/flagged/reasoning", "org/small/reasoning"],
        );
        assert.deepEqual(await store.capmap.metrics(), [
          { source: "s1", metric: "arc", kind: "benchmark", category: "reasoning", baseline: 25, models: 3 },
          { source: "s1", metric: "mt-bench", kind: "judge", category: "writing", baseline: null, models: 1 },
        ]);
      }));

    test("capmap: cells are replaced whole and queried with every filter", () =>
      kind.with(async (store) => {
        await mapFixture(store);
        const ids = async (q: Parameters<Store["capmap"]["cells"]>[0]) =>
          (await store.capmap.cells(q)).map((c) => `${c.modelId}@${c.category}`);
        assert.deepEqual(await ids({ category: "reasoning" }), [
          "org/big@reasoning",
          "org/flagged@reasoning",
          "org/small@reasoning",
        ]);
        assert.deepEqual(await ids({ category: "reasoning", limit: 1, offset: 1 }), ["org/flagged@reasoning"]);
        assert.deepEqual(await ids({ maxParams: 13 }), ["org/flagged@reasoning", "org/small@reasoning"]);
        assert.deepEqual(await ids({ minParams: 13, category: "reasoning" }), [
          "org/big@reasoning",
          "org/flagged@reasoning",
        ]);
        assert.deepEqual(await ids({ license: "MIT" }), ["org/flagged@reasoning", "org/small@reasoning"]);
        assert.deepEqual(await ids({ excludeFlagged: true, excludeMerged: true }), [
          "org/big@writing",
          "org/big@reasoning",
        ]);
        assert.deepEqual(await ids({ loAbove: 70 }), ["org/big@writing", "org/big@reasoning"]);
        assert.deepEqual(await ids({ hiAtLeast: 75, category: "reasoning" }), [
          "org/big@reasoning",
          "org/flagged@reasoning",
        ]);
        assert.deepEqual(await ids({ estimateBelow: 70 }), ["org/small@reasoning"]);
        assert.deepEqual(await ids({ q: "SMA" }), ["org/small@reasoning"]);
        assert.deepEqual(await ids({ q: "%" }), [], "the search text is not a pattern");
        assert.deepEqual(await ids({ modelIds: ["org/small", "org/big"], category: "reasoning" }), [
          "org/big@reasoning",
          "org/small@reasoning",
        ]);
        assert.deepEqual(await ids({ modelIds: [] }), []);
        const [small] = await store.capmap.cells({ modelIds: ["org/small"] });
        assert.deepEqual(small?.sources, ["s1", "s2"]);
        assert.equal(small?.model.paramsB, 7);
        assert.equal(await store.capmap.countCells({ category: "reasoning", excludeFlagged: true }), 2);
        assert.equal(await store.capmap.maxLowerBound({ category: "reasoning" }), 75);
        assert.equal(await store.capmap.maxLowerBound({ category: "nope" }), undefined);
        assert.deepEqual(await store.capmap.categories(), [
          { category: "reasoning", models: 3 },
          { category: "writing", models: 1 },
        ]);
        assert.deepEqual(await store.capmap.rankModels({ category: "ignored", limit: 2 }), {
          total: 3,
          rows: [
            { modelId: "org/big", mean: 82.5, categories: 2 },
            { modelId: "org/flagged", mean: 70, categories: 1 },
          ],
        });
        assert.deepEqual(await store.capmap.rankModels({ minCategories: 2 }), {
          total: 1,
          rows: [{ modelId: "org/big", mean: 82.5, categories: 2 }],
        });
        const tuples = (await store.capmap.allCells()).sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
        assert.deepEqual(tuples[0], ["org/big", "reasoning", 80, 75, 85, 100, 1, '["s1"]']);
        await store.capmap.replaceCells([cell("org/small", "math", 50)]);
        assert.deepEqual(await ids({}), ["org/small@math"]);
      }));

    test("capmap: the data version moves with every import and rebuild", () =>
      kind.with(async (store) => {
        const v0 = await store.capmap.version();
        assert.equal(await store.capmap.version(), v0, "unchanged data, unchanged version");
        await mapFixture(store);
        const v1 = await store.capmap.version();
        assert.notEqual(v1, v0);
        await store.capmap.replaceCells([cell("org/big", "reasoning", 10)]);
        const v2 = await store.capmap.version();
        assert.notEqual(v2, v1);
        assert.equal(await store.capmap.version(), v2);
      }));

    test("text sorts byte by byte, as SQLite's BINARY collation does, in every store", () =>
      kind.with(async (store) => {
        await store.capmap.importSource({
          kind: "k",
          source: "s",
          file: "f",
          fileSha256: "h",
          models: ODD_IDS.map((id) => ({ id })),
          evidence: ODD_IDS.map((id) => evidence(id, "s", "arc", 50)),
        });
        await store.capmap.replaceCells(ODD_IDS.map((id) => cell(id, "reasoning", 50)));
        assert.deepEqual(
          (await store.capmap.cells({ category: "reasoning" })).map((c) => c.modelId),
          BYTE_ORDER,
        );
        assert.deepEqual(
          (await collect(store.capmap.iterateEvidence())).map((e) => e.modelId),
          BYTE_ORDER,
        );
        await store.votes.add("s", [vote("a", "b")]);
        await store.votes.add("Z", [vote("a", "b")]);
        await store.votes.add("É", [vote("a", "b")]);
        assert.deepEqual(
          (await store.votes.sources()).map((s) => s.source),
          ["Z", "s", "É"],
        );
        // ASCII folding only, as SQLite's NOCASE: "éclair/m" does not find "Éclair/m".
        assert.equal((await store.capmap.resolveModel("ZETA/M"))?.id, "Zeta/m");
        assert.equal(await store.capmap.resolveModel("éclair/m"), undefined);
      }));

    test("checks: a report per kind, model and task, replaced by a newer one", () =>
      kind.with(async (store) => {
        await store.checks.put("contamination", "m1", "arc", { flagged: 3, items: [1, 2, 3] });
        await store.checks.put("contamination", "m1", "arc", { flagged: 1, items: [2] });
        await store.checks.put("contamination", "m0", "gsm8k", { flagged: 0 });
        await store.checks.put("sensitivity", "m1", "arc", { spread: 0.1 });
        const got = await store.checks.get("contamination", "m1", "arc");
        assert.deepEqual(got?.report, { flagged: 1, items: [2] });
        assert.equal(got?.kind, "contamination");
        assert.equal(await store.checks.get("sensitivity", "m1", "gsm8k"), undefined);
        assert.deepEqual(
          (await store.checks.list("contamination")).map((r) => [r.modelId, r.task]),
          [
            ["m0", "gsm8k"],
            ["m1", "arc"],
          ],
        );
        assert.deepEqual(
          (await store.checks.list("sensitivity", "m1")).map((r) => r.report),
          [{ spread: 0.1 }],
        );
      }));

    test("ab and meta: experiments with their variants, replaced by id; the latest meta-evaluation", () =>
      kind.with(async (store) => {
        const exp = (id: string, category: string, start: string, extra: Partial<AbExperiment> = {}): AbExperiment => ({
          id,
          category,
          start,
          end: "2026-02-01",
          metric: "thumbs_up",
          kind: "proportion",
          higherIsBetter: true,
          variants: [
            { name: "control", model: "m1", modelId: "org/m1", units: 1000, successes: 400 },
            {
              name: "treatment",
              model: "m2",
              modelId: "org/m2",
              units: 990,
              successes: 450,
              preset: "p",
              plannedShare: 0.5,
            },
          ],
          ...extra,
        });
        assert.deepEqual(
          await store.ab.put({
            file: "a.jsonl",
            fileSha256: "h",
            experiments: [exp("e2", "code", "2026-01-02"), exp("e1", "code", "2026-01-01", { line: 3 })],
          }),
          { inserted: 2, replaced: 0 },
        );
        const ratio = exp("e3", "chat", "2026-01-05", {
          kind: "ratio",
          higherIsBetter: false,
          variants: [
            {
              name: "a",
              model: "m1",
              modelId: "org/m1",
              units: 50,
              numeratorMean: 1.5,
              denominatorMean: 2,
              numeratorSd: 0.5,
              denominatorSd: 0.25,
              covariance: 0.01,
            },
          ],
        });
        assert.deepEqual(
          await store.ab.put({
            file: "b.csv",
            fileSha256: "h2",
            experiments: [exp("e2", "code", "2026-01-03"), ratio],
          }),
          { inserted: 1, replaced: 1 },
        );
        assert.equal(await store.ab.count(), 3);
        const e1 = await store.ab.get("e1");
        const full = (e: AbExperiment, file: string): AbExperiment => ({
          ...e,
          file,
          line: e.line,
          variants: e.variants.map((v) => ({
            preset: undefined,
            plannedShare: undefined,
            successes: undefined,
            mean: undefined,
            sd: undefined,
            numeratorMean: undefined,
            denominatorMean: undefined,
            numeratorSd: undefined,
            denominatorSd: undefined,
            covariance: undefined,
            ...v,
          })),
        });
        assert.deepEqual(e1, full(exp("e1", "code", "2026-01-01", { line: 3 }), "a.jsonl"));
        assert.deepEqual(await store.ab.get("e3"), full(ratio, "b.csv"));
        assert.deepEqual(
          (await store.ab.list()).map((e) => [e.id, e.start, e.file]),
          [
            ["e3", "2026-01-05", "b.csv"],
            ["e1", "2026-01-01", "a.jsonl"],
            ["e2", "2026-01-03", "b.csv"],
          ],
        );
        assert.deepEqual(
          (await store.ab.list({ category: "code" })).map((e) => e.id),
          ["e1", "e2"],
        );
        assert.equal(await store.ab.get("nope"), undefined);

        await store.meta.put("s1/arc", "reasoning", { tau: 0.5 });
        await store.meta.put("s2/gsm8k", "reasoning", { tau: 0.7 });
        await store.meta.put("s1/arc", "writing", { tau: 0.1 });
        assert.deepEqual((await store.meta.latestForCategory("reasoning"))?.report, { tau: 0.7 });
        // Latest by time: a later put, not one in the same millisecond.
        await sleep(5);
        await store.meta.put("s1/arc", "reasoning", { tau: 0.9 });
        assert.deepEqual((await store.meta.latestForCategory("reasoning"))?.report, { tau: 0.9 });
        assert.equal(await store.meta.latestForCategory("nope"), undefined);
        assert.deepEqual(
          (await store.meta.list()).map((r) => [r.category, r.reference]),
          [
            ["reasoning", "s1/arc"],
            ["reasoning", "s2/gsm8k"],
            ["writing", "s1/arc"],
          ],
        );
      }));
  });
}
