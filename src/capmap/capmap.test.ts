import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  ARENA_MERGED,
  OBS_BASE,
  OBS_INSTRUCT,
  OPEN_LLM_V1,
  OPEN_LLM_V2,
  sharedData,
} from "../../test/support/shared-data.ts";
import { ModelmapError } from "../core/errors.ts";
import { collect } from "../core/iter.ts";
import type { CapEvidence } from "../store/capmap.ts";
import { openStore } from "../store/sqlite/index.ts";
import { buildCells, combineCell } from "./build.ts";
import { modelCard } from "./card.ts";
import { compareModels, pairedDifference } from "./compare.ts";
import { parseCsv } from "./csv.ts";
import { parseArenaTable, parseObsScaling, parseOpenLlmLeaderboard } from "./importers.ts";
import { modelProfile } from "./profile.ts";
import { normalizeAccuracy, scaleJudgeScore, winRateVs } from "./scale.ts";
import { importFile, search } from "./service.ts";

test("CSV: quotes, doubled quotes, embedded newlines and CRLF; unterminated quote names its line", () => {
  const rows = parseCsv('a,b,c\r\n1,"x, ""y""",3\n2,"multi\nline",\n', "t.csv");
  assert.deepEqual(
    rows.map((r) => r.fields),
    [
      ["a", "b", "c"],
      ["1", 'x, "y"', "3"],
      ["2", "multi\nline", ""],
    ],
  );
  assert.equal(rows[2]?.line, 3);
  assert.throws(
    () => parseCsv('a,b\n1,2\n3,"oops\n', "t.csv"),
    (e: unknown) => e instanceof ModelmapError && e.code === "input" && /t\.csv, line 3/.test(e.message),
  );
});

test("scales: baseline maps to 0, perfect to 100; mean rating to 50% win rate; judge 1..10 to 0..100", () => {
  assert.equal(normalizeAccuracy(25, 25), 0);
  assert.equal(normalizeAccuracy(100, 25), 100);
  assert.equal(normalizeAccuracy(62.5, 25), 50);
  assert.equal(normalizeAccuracy(10, 25), 0); // below chance is floored
  assert.equal(winRateVs(1000, 1000), 50);
  assert.ok(Math.abs(winRateVs(1400, 1000) - 100 / 1.1) < 1e-9);
  assert.equal(scaleJudgeScore(1, 160).scaled, 0);
  assert.equal(scaleJudgeScore(10, 160).scaled, 100);
  assert.ok(Math.abs(scaleJudgeScore(5.5, 160).scaled - 50) < 1e-9);
});

function ev(
  modelId: string,
  metric: string,
  scaled: number,
  half: number,
  extra: Partial<CapEvidence> = {},
): CapEvidence {
  return {
    modelId,
    source: "s",
    kind: "benchmark",
    metric,
    category: "math",
    value: scaled,
    n: 100,
    scaled,
    scaledLo: scaled - half,
    scaledHi: scaled + half,
    ...extra,
  };
}

test("a cell is the mean of its evidence with independent errors combined; duplicates count once", () => {
  const c = combineCell([ev("m", "a", 40, 1.959964 * 3), ev("m", "b", 60, 1.959964 * 4)]);
  assert.equal(c.estimate, 50);
  // se = sqrt(3^2 + 4^2) / 2 = 2.5
  assert.ok(Math.abs(c.hi - c.lo - 2 * 1.959964 * 2.5) < 1e-6);
  assert.equal(c.evidence, 2);
  const dup = buildCells([ev("m", "a", 40, 2, { source: "x" }), ev("m", "a", 40, 2, { source: "y" })]);
  assert.equal(dup.length, 1);
  assert.equal(dup[0]?.evidence, 1);
});

test("paired difference removes shared item difficulty", () => {
  const a = new Map([
    ["q1", 1],
    ["q2", 1],
    ["q3", 0],
    ["q4", 1],
  ]);
  const b = new Map([
    ["q1", 1],
    ["q2", 0],
    ["q3", 0],
    ["q4", 1],
    ["q9", 1],
  ]);
  const p = pairedDifference(a, b);
  assert.equal(p.n, 4);
  assert.equal(p.diff, 0.25);
  assert.ok(Math.abs(p.se - 0.25) < 1e-12); // sd of [0,1,0,0] = 0.5, / sqrt(4)
});

test("Open LLM Leaderboard v1 and v2 tables parse with metadata; one row per model", () => {
  const v1 = parseOpenLlmLeaderboard(readFileSync(sharedData(...OPEN_LLM_V1), "utf8"), "v1.csv");
  assert.equal(v1.source, "open-llm-leaderboard-v1");
  assert.equal(new Set(v1.models.map((m) => m.id)).size, v1.models.length);
  assert.ok(v1.models.length > 6500, `expected > 6500 models, got ${v1.models.length}`);
  const tri = v1.models.find((m) => m.id === "paloalma/Le_Triomphant-ECE-TW3");
  assert.equal(tri?.paramsB, 72);
  assert.equal(tri?.license, "apache-2.0");
  assert.equal(tri?.architecture, "LlamaForCausalLM");
  assert.equal(tri?.flagged, true);
  const arc = v1.evidence.find((e) => e.modelId === "paloalma/Le_Triomphant-ECE-TW3" && e.metric === "arc");
  assert.equal(arc?.value, 78.5);
  assert.ok(arc && Math.abs(arc.scaled - (100 * (78.5 - 25)) / 75) < 1e-9);
  assert.ok(arc && arc.scaledLo < arc.scaled && arc.scaled < arc.scaledHi);

  const v2 = parseOpenLlmLeaderboard(readFileSync(sharedData(...OPEN_LLM_V2), "utf8"), "v2.csv");
  assert.equal(v2.source, "open-llm-leaderboard-v2");
  const yi = v2.models.find((m) => m.id === "01-ai/Yi-1.5-34B");
  assert.equal(yi?.paramsB, 34.389);
  assert.equal(yi?.type, "pretrained");
  const mmluPro = v2.evidence.find((e) => e.modelId === "01-ai/Yi-1.5-34B" && e.metric === "mmlu-pro");
  assert.ok(mmluPro && Math.abs(mmluPro.scaled - 40.732121749409) < 1e-9, "uses the leaderboard's normalized score");
  assert.equal(mmluPro?.category, "knowledge");
});

test("a table that is not a leaderboard is an input error naming the file; a bad cell skips only its row", () => {
  assert.throws(
    () => parseOpenLlmLeaderboard("name,score\nx,1\n", "other.csv"),
    (e: unknown) => e instanceof ModelmapError && e.code === "input" && /other\.csv, line 1/.test(e.message),
  );
  const text =
    "fullname,arc,hellaswag,mmlu,truthfulqa,winogrande,gsm8k\na/b,50,60,70,50,60,10\nc/d,abc,60,70,50,60,10\n";
  const r = parseOpenLlmLeaderboard(text, "v1.csv");
  assert.equal(r.models.length, 1);
  assert.deepEqual(r.skipped, [{ line: 3, reason: "field 'arc': expected a number, got 'abc'" }]);
});

test("arena table: HF id is the model, arena name an alias; ratings become win rates vs the mean model", () => {
  const r = parseArenaTable(readFileSync(sharedData(...ARENA_MERGED), "utf8"), "merged.csv");
  const aya = r.evidence.find((e) => e.modelId === "CohereForAI/aya-expanse-32b");
  assert.equal(aya?.value, 1217);
  assert.equal(aya?.lo, 1214);
  assert.equal(aya?.hi, 1220);
  assert.equal(aya?.n, 28768);
  assert.ok(r.aliases.some((a) => a.alias === "aya-expanse-32b" && a.modelId === "CohereForAI/aya-expanse-32b"));
  const mean = r.evidence.reduce((s, e) => s + e.value, 0) / r.evidence.length;
  assert.ok(aya && Math.abs(aya.scaled - winRateVs(1217, mean)) < 1e-9);
});

test("obs-scaling: fractions become percent; MT-bench becomes a judge score", () => {
  const base = parseObsScaling(readFileSync(sharedData(...OBS_BASE), "utf8"), "base_llm_benchmark_eval.csv");
  const he = base.evidence.find((e) => e.modelId === "meta-llama/Llama-2-7b-hf" && e.metric === "humaneval");
  assert.ok(he && Math.abs(he.value - 12.80487804878048) < 1e-9);
  assert.equal(he?.category, "coding");
  const inst = parseObsScaling(readFileSync(sharedData(...OBS_INSTRUCT), "utf8"), "instruct_llm_benchmark_eval.csv");
  const mt = inst.evidence.find((e) => e.modelId === "gpt-4-0613" && e.metric === "mt-bench");
  assert.equal(mt?.kind, "judge");
  assert.ok(mt && Math.abs(mt.value - 9.18) < 1e-9);
  assert.ok(mt && Math.abs(mt.scaled - (100 * 8.18) / 9) < 1e-9);
});

async function smallStore() {
  const store = openStore(":memory:");
  const models = [
    { id: "org/a-7b", paramsB: 7, license: "apache-2.0" },
    { id: "org/b-7b", paramsB: 7, license: "mit" },
    { id: "org/c-8b", paramsB: 8, license: "apache-2.0" },
    { id: "org/d-70b", paramsB: 70, license: "apache-2.0" },
    { id: "org/e-3b", paramsB: 3, license: "apache-2.0" },
  ];
  // a and b overlap at the top; c is surely below both; d is big and best.
  const evidence = [
    ev("org/a-7b", "gsm8k", 60, 3),
    ev("org/b-7b", "gsm8k", 58, 3),
    ev("org/c-8b", "gsm8k", 40, 3),
    ev("org/d-70b", "gsm8k", 90, 3),
    ev("org/e-3b", "gsm8k", 20, 3),
    ev("org/a-7b", "mmlu", 30, 3, { category: "knowledge" }),
    ev("org/b-7b", "mmlu", 50, 3, { category: "knowledge" }),
  ];
  await store.capmap.importSource({ kind: "t", source: "s", file: "f", fileSha256: "x", models, evidence });
  await store.capmap.replaceCells(buildCells(await collect(store.capmap.iterateEvidence())));
  return store;
}

test("search: filters, ranks from intervals, and the set tied for first", async () => {
  const store = await smallStore();
  try {
    const r = await search(store, "math", { maxParams: 8, license: "apache-2.0" }, { top: 10 });
    assert.deepEqual(
      r.results.map((h) => [h.modelId, h.rank, h.tiedForFirst]),
      [
        ["org/a-7b", 1, true],
        ["org/c-8b", 2, false],
        ["org/e-3b", 3, false],
      ],
    );
    const all = await search(store, "math", { maxParams: 8 });
    assert.deepEqual(
      all.tiedForFirst.map((t) => t.modelId),
      ["org/a-7b", "org/b-7b"],
    );
    assert.equal(all.tiedForFirstCount, 2);
    await assert.rejects(
      () => search(store, "poetry"),
      (e: unknown) => e instanceof ModelmapError && e.code === "not_found",
    );
  } finally {
    await store.close();
  }
});

test("compare-models: like-with-like differences and verdicts; unknown model is not_found", async () => {
  const store = await smallStore();
  try {
    const c = await compareModels(store, "org/a-7b", "org/c-8b");
    const math = c.categories.find((x) => x.category === "math");
    assert.equal(math?.basis, "shared");
    assert.equal(math?.diff, 20);
    assert.equal(math?.verdict, "a");
    const know = c.categories.find((x) => x.category === "knowledge");
    assert.equal(know?.verdict, "missing");
    const ab = await compareModels(store, "org/a-7b", "org/b-7b");
    assert.equal(ab.categories.find((x) => x.category === "math")?.verdict, "tie");
    assert.equal(ab.categories.find((x) => x.category === "knowledge")?.verdict, "b");
    await assert.rejects(
      () => compareModels(store, "org/a-7b", "nope"),
      (e: unknown) => e instanceof ModelmapError && e.code === "not_found",
    );
  } finally {
    await store.close();
  }
});

test("profile and card: strengths relative to similar-size peers; markdown with evidence and scale notes", async () => {
  const store = await smallStore();
  try {
    const p = await modelProfile(store, "org/a-7b");
    assert.deepEqual(p.sizeBand, { min: 3.5, max: 14 });
    const math = p.categories.find((c) => c.cell.category === "math");
    // Peers 3.5B-14B in math: a, b, c. a beats both others.
    assert.equal(math?.peers, 3);
    assert.equal(math?.percentile, 100);
    const md = await modelCard(store, "org/a-7b");
    assert.match(md, /^---\nlicense: "apache-2.0"\n/);
    assert.match(md, /# org\/a-7b: capability report/);
    assert.match(md, /\| math \| 60\.0 \[/);
    assert.match(md, /\| math \| GSM8K \| s \| 60\.0 \|/);
    assert.match(md, /No modelmap runs of this model are recorded/);
    assert.match(md, /expected win rate/);
  } finally {
    await store.close();
  }
});

test("importFile stores, re-import replaces, and the real v1 table builds a searchable map", async () => {
  const store = openStore(":memory:");
  try {
    const first = await importFile(store, "open-llm-leaderboard", sharedData(...OPEN_LLM_V1));
    const again = await importFile(store, "open-llm-leaderboard", sharedData(...OPEN_LLM_V1));
    assert.equal(again.evidence, first.evidence);
    assert.equal(
      (await store.capmap.evidence({ source: "open-llm-leaderboard-v1", metric: "arc" })).length,
      first.models,
    );
    assert.equal((await store.capmap.imports()).length, 2);
    const r = await search(store, "math", { maxParams: 8, license: "apache-2.0" }, { top: 5 });
    assert.equal(r.results.length, 5);
    for (const h of r.results) {
      assert.ok(h.model.paramsB !== undefined && h.model.paramsB <= 8);
      assert.equal(h.model.license, "apache-2.0");
      assert.ok(h.lo <= h.estimate && h.estimate <= h.hi);
    }
    assert.ok(r.tiedForFirstCount >= 1);
    assert.ok(r.results[0]?.tiedForFirst);
  } finally {
    await store.close();
  }
});

test("LMSYS leaderboard table: ratings with intervals, MT-bench as a judge grade, MMLU as a benchmark", () => {
  const text = [
    "key,Model,Arena Elo rating,rating_q025,rating_q975,MT-bench (score),MMLU,License,Organization,Link",
    "vicuna-13b,Vicuna-13B,1061,1055,1067,6.57,55.8,Llama 2 Community,LMSYS,https://huggingface.co/lmsys/vicuna-13b-v1.5",
    "gpt-4,GPT-4,1200,1190,1210,8.99,86.4,Proprietary,OpenAI,https://openai.com",
    "mystery,Mystery,1100,,,-,-,MIT,X,",
    "broken,Broken,abc,1,2,5,50,MIT,X,",
  ].join("\n");
  const r = parseArenaTable(text, "leaderboard_table.csv");
  const kinds = r.evidence.filter((e) => e.modelId === "vicuna-13b").map((e) => `${e.kind}:${e.metric}`);
  assert.deepEqual(kinds.sort(), ["benchmark:mmlu", "judge:mt-bench", "rating:arena-elo"]);
  const mt = r.evidence.find((e) => e.modelId === "gpt-4" && e.metric === "mt-bench");
  assert.ok(mt && Math.abs(mt.scaled - (100 * 7.99) / 9) < 1e-9);
  assert.deepEqual(
    r.skipped.map((s) => s.line),
    [4, 5],
  );
  assert.match(r.skipped[0]?.reason ?? "", /rating without a 95% interval/);
  assert.match(r.skipped[1]?.reason ?? "", /field 'Arena Elo rating': expected a number, got 'abc'/);
  assert.equal(r.models.find((m) => m.id === "gpt-4")?.license, "proprietary");
});
