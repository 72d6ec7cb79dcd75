/**
 * A small map for web and browser tests: a few models on two categories with a tie for first, one model
 * whose id needs escaping, an arena board, and one harness run with samples. Built through the public store
 * interfaces, as an import and a run would.
 */
import { buildCells } from "../../src/capmap/build.ts";
import { ratingEvidence } from "../../src/capmap/importers.ts";
import { scaleBenchmark } from "../../src/capmap/scale.ts";
import { collect } from "../../src/core/iter.ts";
import type { CapEvidence } from "../../src/store/capmap.ts";
import type { Store } from "../../src/store/store.ts";
import { fixtureLog, fixtureSample, fixtureSpec, fixtureTaskResult } from "./run-fixture.ts";

export const EVIL_ID = `evil/<script>alert("x")</script>`;

function bench(
  modelId: string,
  metric: string,
  category: string,
  percent: number,
  baseline: number,
  items: number,
): CapEvidence {
  const s = scaleBenchmark(percent, baseline, items);
  return {
    modelId,
    source: "fixture-bench",
    kind: "benchmark",
    metric,
    category,
    value: percent,
    lo: s.lo,
    hi: s.hi,
    n: items,
    baseline,
    scaled: s.scaled,
    scaledLo: s.scaledLo,
    scaledHi: s.scaledHi,
  };
}

export async function seedWebFixture(store: Store): Promise<{ runId: string }> {
  const models = [
    { id: "acme/alpha-7b", paramsB: 7, license: "apache-2.0", architecture: "LlamaForCausalLM", date: "2024-05-01" },
    { id: "acme/beta-7b", paramsB: 7.2, license: "apache-2.0", merged: true },
    { id: "acme/gamma-8b", paramsB: 8, license: "mit" },
    { id: "acme/delta-70b", paramsB: 70, license: "llama3" },
    { id: "acme/epsilon-3b", paramsB: 3, license: "apache-2.0", flagged: true },
    { id: EVIL_ID, paramsB: 7, license: "<b>bold</b>" },
  ];
  const evidence: CapEvidence[] = [
    bench("acme/alpha-7b", "gsm8k", "math", 61, 0, 1319),
    bench("acme/beta-7b", "gsm8k", "math", 60, 0, 1319),
    bench("acme/gamma-8b", "gsm8k", "math", 40, 0, 1319),
    bench("acme/delta-70b", "gsm8k", "math", 85, 0, 1319),
    bench("acme/epsilon-3b", "gsm8k", "math", 20, 0, 1319),
    bench(EVIL_ID, "gsm8k", "math", 30, 0, 1319),
    bench("acme/alpha-7b", "mmlu", "knowledge", 55, 25, 14042),
    bench("acme/beta-7b", "mmlu", "knowledge", 64, 25, 14042),
    bench("acme/gamma-8b", "mmlu", "knowledge", 58, 25, 14042),
    bench("acme/delta-70b", "mmlu", "knowledge", 79, 25, 14042),
    bench("acme/epsilon-3b", "mmlu", "knowledge", 40, 25, 14042),
    bench(EVIL_ID, "mmlu", "knowledge", 45, 25, 14042),
    bench("acme/alpha-7b", "arc", "reasoning", 60, 25, 1172),
    bench("acme/beta-7b", "arc", "reasoning", 58, 25, 1172),
    bench("acme/gamma-8b", "arc", "reasoning", 55, 25, 1172),
    bench("acme/delta-70b", "arc", "reasoning", 70, 25, 1172),
    bench("acme/epsilon-3b", "arc", "reasoning", 45, 25, 1172),
    bench(EVIL_ID, "arc", "reasoning", 40, 25, 1172),
  ];
  await store.capmap.importSource({
    kind: "fixture",
    source: "fixture-bench",
    file: "fixture",
    fileSha256: "0",
    models,
    evidence,
  });
  const ratings = ratingEvidence(
    [
      { id: "acme/delta-70b", rating: 1250, lo: 1240, hi: 1260, votes: 5000 },
      { id: "acme/alpha-7b", rating: 1105, lo: 1095, hi: 1115, votes: 3000 },
      { id: "acme/beta-7b", rating: 1100, lo: 1090, hi: 1110, votes: 2900 },
      { id: "acme/gamma-8b", rating: 1020, lo: 1005, hi: 1035, votes: 1500 },
    ],
    "fixture-arena",
    "chat",
    "arena-elo",
  );
  await store.capmap.importSource({
    kind: "fixture",
    source: "fixture-arena",
    file: "fixture",
    fileSha256: "1",
    models: [],
    evidence: ratings,
  });
  await store.capmap.replaceCells(buildCells(await collect(store.capmap.iterateEvidence())));

  const runId = "run0fixture0001";
  const spec = fixtureSpec({
    model: "acme/alpha-7b",
    tasks: ["tiny-math"],
    chat_template: true,
    system_prompt: "You are terse.",
    seed: 1234,
    num_fewshot: 0,
  });
  await store.evals.ensureRun({ id: runId, modelId: "acme/alpha-7b", identity: { backend: "fixture" }, spec });
  const gen = (prompt: string) => [{ kind: "generate" as const, prompt, params: {} }];
  await store.evals.putSamples(runId, [
    fixtureSample({
      task: "tiny-math",
      docId: 0,
      arguments: gen("<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"),
      resps: ["The answer is 4. <b>done</b>"],
      filteredResps: { "strict-match": ["4"] },
      target: "4",
      rationale: "Correct final answer.",
      scores: [{ metric: "exact_match", filter: "strict-match", value: 1 }],
    }),
    fixtureSample({
      task: "tiny-math",
      docId: 1,
      arguments: gen("What is 3+5?"),
      resps: ["nine"],
      filteredResps: { "strict-match": ["[invalid]"] },
      target: "8",
      scores: [{ metric: "exact_match", filter: "strict-match", value: 0 }],
    }),
    fixtureSample({
      task: "tiny-math",
      docId: 2,
      arguments: gen("What is 1+1?"),
      error: "backend timeout",
      errorReason: "backend",
      scores: [],
    }),
  ]);
  await store.evals.finishRun(
    runId,
    fixtureLog(spec, {
      "tiny-math": fixtureTaskResult({
        alias: "tiny-math",
        metrics: [{ metric: "exact_match", filter: "strict-match", value: 0.5, stderr: null }],
        n: 2,
        nErrors: 1,
      }),
    }),
  );
  await seedJudging(store);
  return { runId };
}

/** A held-out prompt with two answers, one single grade and one pairwise verdict, each with its rationale. */
async function seedJudging(store: Store): Promise<void> {
  await store.judging.putPromptSet(
    { name: "fixture-heldout", contentHash: "h", secret: false, canary: null, description: "fixture", origin: null },
    [
      {
        setName: "fixture-heldout",
        id: "p1",
        category: "extraction",
        turns: ["List the <b>dates</b> in: 3 May, 9 June."],
        reference: null,
        tags: [],
      },
    ],
  );
  const style = { chars: 10, tokens: 3, headers: 0, lists: 0, bold: 0 };
  for (const [key, model, out] of [
    ["ans-a", "acme/alpha-7b", "3 May; 9 June"],
    ["ans-b", "acme/gamma-8b", "May"],
  ] as const) {
    await store.judging.putAnswer({
      key,
      setName: "fixture-heldout",
      promptId: "p1",
      model,
      outputs: [out],
      params: {},
      finishReasons: ["stop"],
      error: null,
      ...style,
    });
  }
  const base = {
    judge: "judge-fixture",
    setName: "fixture-heldout",
    promptId: "p1",
    category: "extraction",
    parseError: null,
    referenceGuided: false,
    judgePromptHash: "jh",
  };
  await store.judging.putJudgment({
    ...base,
    key: "j-single",
    kind: "single",
    answerFirst: "ans-a",
    answerSecond: null,
    modelFirst: "acme/alpha-7b",
    modelSecond: null,
    verdict: null,
    score: 9,
    raw: "Both dates found. Rating: [[9]]",
  });
  await store.judging.putJudgment({
    ...base,
    key: "j-pair",
    kind: "pairwise",
    answerFirst: "ans-b",
    answerSecond: "ans-a",
    modelFirst: "acme/gamma-8b",
    modelSecond: "acme/alpha-7b",
    verdict: "second",
    score: null,
    raw: "Assistant B lists both dates. [[B]]",
  });
}
