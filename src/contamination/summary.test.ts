import assert from "node:assert/strict";
import { test } from "node:test";
import { buildCells } from "../capmap/build.ts";
import { modelCard } from "../capmap/card.ts";
import { collect } from "../core/iter.ts";
import type { ModelSensitivity } from "../sensitivity/service.ts";
import { promptSpread } from "../sensitivity/service.ts";
import { openStore } from "../store/sqlite/index.ts";
import { contaminationSummary } from "./summary.ts";

test("stored checks reach the model card: prompt spread and contamination verdicts, one line each", async () => {
  const store = openStore(":memory:");
  try {
    const models = [{ id: "org/a-7b", paramsB: 7 }];
    const evidence = [
      {
        modelId: "org/a-7b",
        source: "s",
        kind: "benchmark" as const,
        metric: "gsm8k",
        category: "math",
        value: 60,
        n: 100,
        scaled: 60,
        scaledLo: 57,
        scaledHi: 63,
      },
    ];
    await store.capmap.importSource({ kind: "t", source: "s", file: "f", fileSha256: "x", models, evidence });
    await store.capmap.replaceCells(buildCells(await collect(store.capmap.iterateEvidence())));
    assert.match(await modelCard(store, "org/a-7b"), /No prompt-sensitivity or contamination checks/);
    const sens: ModelSensitivity = {
      version: 1,
      model: "org/a-7b",
      task: "gsm8k",
      variants: [
        { variant: "chat:off", score: 0.5 },
        {
          variant: "chat:on",
          score: 0.62,
          vsBaseline: { diff: 0.12, pValue: 0.001, method: "mcnemar", significant: true },
        },
        { variant: "labels:A.", error: "no" },
      ],
      spread: { min: 0.5, max: 0.62, sd: 0.085, range: 0.12 },
    };
    await store.checks.put("sensitivity", "org/a-7b", "gsm8k", sens);
    await store.checks.put("contamination", "org/a-7b", "gsm8k", {
      exchangeability: { pValue: 0.0004 },
      flagged: true,
      flaggedItems: [{ docId: 3, reasons: ["13-gram overlap 1.00"] }],
      methods: { min_k_plus_plus: { score: 0.3, pValue: null } },
    });
    const [s] = await promptSpread(store, "org/a-7b");
    assert.deepEqual([s?.score, s?.spread, s?.variants, s?.significant], [0.5, 0.12, 2, 1]);
    const [c] = await contaminationSummary(store, "org/a-7b");
    assert.equal(c?.flagged, true);
    assert.equal(c?.pValue, 0.0004);
    const md = await modelCard(store, "org/a-7b");
    assert.match(md, /- Sensitivity: gsm8k: 0\.500, with 0\.120 prompt spread over 2 variants/);
    assert.match(
      md,
      /- Contamination: gsm8k: possible contamination \(exchangeability p=0\.00040, 1 items overlap the corpus\)/,
    );
  } finally {
    await store.close();
  }
});
