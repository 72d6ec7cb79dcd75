import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { getAggregation, stderrFor } from "./aggregations.ts";
import {
  DEFAULT_METRICS,
  type ExactMatchOptions,
  exactMatchHf,
  METRIC_REGISTRY,
  scoreGenerate,
  scoreMultipleChoice,
  scoreRolling,
} from "./metrics.ts";

/** Outputs of lm-eval's own metric code (commit 4e7e0d4) on synthetic inputs: tools/lmeval-reference/. */
const REF = JSON.parse(
  readFileSync(join(import.meta.dirname, "..", "..", "fixtures", "lmeval-reference", "filters-metrics.json"), "utf8"),
  (_k, v) => (v && typeof v === "object" && "$float" in v ? Number.NaN : v),
) as {
  exact_match: Array<{ opts: ExactMatchOptions; pairs: Array<[string, string]>; out: number[] }>;
  mc: Array<{
    case: { choices: string[]; gold: number | string | number[]; results: Array<[number, boolean]> };
    metrics: string[];
    out: Record<string, unknown>;
  }>;
  generate: Array<{
    case: { gold: unknown; result: string; metrics: string[]; multiple_target?: boolean };
    out: Record<string, unknown>;
  }>;
  rolling: Array<{ text: string; ll: number; out: Record<string, unknown> }>;
  aggregations: Array<{ name: string; items: unknown[]; out: number }>;
  stderr: Array<{ aggregation: string; metric: string; items: unknown[]; iters: number; out: number }>;
};

function close(a: unknown, b: unknown, rel: number, what: string): void {
  if (typeof a === "number" && typeof b === "number") {
    if (Number.isNaN(a) && Number.isNaN(b)) return;
    assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${what}: length`);
    a.forEach((x, i) => {
      close(x, b[i], rel, `${what}[${i}]`);
    });
  } else if (a && b && typeof a === "object" && typeof b === "object") {
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), `${what}: keys`);
    for (const k of Object.keys(b))
      close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], rel, `${what}.${k}`);
  } else assert.deepEqual(a, b, what);
}

test("exact_match with ignore_case, ignore_punctuation, ignore_numbers, regexes_to_ignore equals lm-eval's", () => {
  for (const c of REF.exact_match) {
    const got = c.pairs.map(([p, r]) => exactMatchHf([p], [r], c.opts));
    assert.deepEqual(got, c.out, JSON.stringify(c.opts));
  }
});

test("multiple_choice scores (acc, acc_norm, acc_bytes, exact_match, f1, mcc, brier, likelihood, mutual info) equal lm-eval's", () => {
  for (const c of REF.mc) {
    const got = scoreMultipleChoice({ ...c.case, metrics: c.metrics });
    close(got, c.out, 1e-15, JSON.stringify(c.case));
  }
});

test("generate_until and loglikelihood_rolling per-document values equal lm-eval's", () => {
  for (const c of REF.generate) {
    const got = scoreGenerate({
      result: c.case.result,
      gold: c.case.gold,
      multipleTarget: c.case.multiple_target ?? false,
      metrics: c.case.metrics.map((name) => ({ name })),
    });
    assert.deepEqual(got, c.out, JSON.stringify(c.case));
  }
  for (const c of REF.rolling) {
    assert.deepEqual(scoreRolling(c.ll, c.text, DEFAULT_METRICS.loglikelihood_rolling), c.out, JSON.stringify(c.text));
  }
});

test("aggregations (mean, median, perplexities, bits_per_byte, nanmean, f1, mcc, bleu, chrf, ter, brier) equal lm-eval's", () => {
  const seen = new Set<string>();
  for (const c of REF.aggregations) {
    seen.add(c.name);
    close(getAggregation(c.name)(c.items), c.out, 1e-13, c.name);
  }
  assert.equal(seen.size, 12);
});

test("standard errors: closed form for mean, lm-eval's seeded bootstrap for the others", () => {
  for (const c of REF.stderr) {
    close(stderrFor(c.metric, c.aggregation, c.items, c.iters), c.out, 1e-12, `${c.aggregation} stderr`);
  }
  assert.equal(stderrFor("acc", "mean", [1]), null, "one item: N/A");
  assert.equal(
    stderrFor("word_perplexity", "weighted_perplexity", [
      [1, 2],
      [3, 4],
    ]),
    null,
    "no stderr: N/A",
  );
  assert.equal(stderrFor("acc", "mean", [1, 0], 0), null, "bootstrap_iters 0: N/A");
});

test("registry: lm-eval's higher_is_better and default aggregations", () => {
  const table = Object.fromEntries(
    Object.entries(METRIC_REGISTRY).map(([k, v]) => [k, [v.higherIsBetter, v.aggregation]]),
  );
  assert.deepEqual(table.acc_bytes, [true, "mean"]);
  assert.deepEqual(table.perplexity, [false, "perplexity"]);
  assert.deepEqual(table.byte_perplexity, [false, "weighted_perplexity"]);
  assert.deepEqual(table.bits_per_byte, [false, "bits_per_byte"]);
  assert.deepEqual(table.mcc, [true, "matthews_corrcoef"]);
  assert.deepEqual(table.ter, [true, "ter"], "lm-eval registers ter as higher_is_better=True");
});
