/**
 * The Open LLM Leaderboard v2 normalisation (`src/stats/open-llm.ts`, what `eval --suite open-llm-v2` prints)
 * against the final published table (4,576 models): IFEval, MATH Lvl 5, GPQA and MMLU-Pro and the average are
 * recomputed from the table's raw columns to the table's precision for every model. BBH and MuSR are normalised
 * per subtask, which the table does not hold: their formula is checked on a hand case, the raw columns are shown
 * to be plain means over subtasks, and every published value lies within what the formula allows for that raw
 * score.
 *
 * "The table's precision": its numbers are printed with 15 significant digits, so a raw value r stands for any
 * value within half a unit of its last digit; the recomputed score may differ from the printed one by that
 * uncertainty carried through the formula (x 100/(1-baseline)) plus half a unit of the printed score's last digit.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  halfUlp15,
  normalizeWithinRange,
  V2_BASELINES,
  V2_BBH_CHOICES,
  V2_MUSR_CHOICES,
  v2Average,
  v2Single,
  v2SubtaskBounds,
  v2Subtasks,
} from "../src/stats/open-llm.ts";
import { parseCsv } from "../src/tasks/dataset.ts";
import { OPEN_LLM_V2, sharedData } from "./support/shared-data.ts";

function table(): Array<Record<string, string>> {
  const [header, ...rows] = parseCsv(readFileSync(sharedData(...OPEN_LLM_V2), "utf8"));
  assert.ok(header);
  return rows
    .filter((r) => r.length === header.length)
    .map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ""])));
}

const ROWS = table();
const value = (r: Record<string, string>, c: string) => {
  const v = Number(r[c]);
  assert.ok(Number.isFinite(v), `${r.model_name}: ${c} = ${r[c]}`);
  return v;
};
/** Float64 slack of the computation itself (a few ulps of the result). */
const slack = (x: number) => 4 * Number.EPSILON * Math.max(1, Math.abs(x));

test("the final table: 4,576 models, six benchmarks with raw and normalised columns", () => {
  assert.equal(ROWS.length, 4576);
});

for (const [bench, baseline] of [
  ["ifeval", V2_BASELINES.ifeval],
  ["math", V2_BASELINES.math],
  ["gpqa", V2_BASELINES.gpqa],
  ["mmlu_pro", V2_BASELINES.mmlu_pro],
] as const) {
  test(`${bench}: the normalised score of every model recomputed from its raw score, to the table's precision`, (t) => {
    let worst = 0;
    let exactStrings = 0;
    for (const r of ROWS) {
      const raw = value(r, `evaluations_${bench}_value`);
      const published = value(r, `evaluations_${bench}_normalized_score`);
      const ours = v2Single(raw, baseline).normalized;
      const tol = (halfUlp15(raw) * 100) / (1 - baseline) + halfUlp15(published) + slack(published);
      const ratio = Math.abs(ours - published) / tol;
      worst = Math.max(worst, ratio);
      assert.ok(ratio <= 1, `${r.model_name}: ${ours} vs ${published} (allowed ${tol})`);
      if (Number(ours.toPrecision(15)) === published) exactStrings++;
    }
    // Many agree digit for digit; the rest differ by no more than the raw value's rounding carries through.
    t.diagnostic(
      `${exactStrings}/${ROWS.length} identical to 15 digits; largest difference ${worst.toFixed(3)} of the allowed`,
    );
    // A wrong baseline would be far outside: e.g. GPQA against 0.2 instead of 0.25.
    const r0 = ROWS[0] as Record<string, string>;
    if (baseline > 0)
      assert.ok(
        Math.abs(
          normalizeWithinRange(value(r0, `evaluations_${bench}_value`), baseline - 0.05) -
            value(r0, `evaluations_${bench}_normalized_score`),
        ) > 1e-3,
      );
  });
}

test("the average column is the mean of the six normalised scores, for every model", () => {
  const cols = ["ifeval", "bbh", "math", "gpqa", "musr", "mmlu_pro"];
  for (const r of ROWS) {
    const norms = cols.map((c) => value(r, `evaluations_${c}_normalized_score`));
    const published = value(r, "model_average_score");
    const tol = norms.reduce((a, x) => a + halfUlp15(x), 0) / 6 + halfUlp15(published) + slack(published);
    assert.ok(Math.abs(v2Average(norms) - published) <= tol, `${r.model_name}: ${v2Average(norms)} vs ${published}`);
  }
});

test("BBH and MuSR: per-subtask normalisation on a hand case", () => {
  // The leaderboard documentation's own MuSR example (0.7, 0.4, 0.6): 40, 25, 40 -> 35.
  const musr = v2Subtasks([
    { raw: 0.7, choices: 2 },
    { raw: 0.4, choices: 5 },
    { raw: 0.6, choices: 3 },
  ]);
  assert.ok(Math.abs(musr.normalized - 35) < 1e-12);
  assert.ok(Math.abs(musr.raw - 1.7 / 3) < 1e-15);
  // Below chance clips to 0 for that subtask only.
  const clipped = v2Subtasks([
    { raw: 0.25, choices: 2 },
    { raw: 1, choices: 5 },
  ]);
  assert.equal(clipped.normalized, 50);
  assert.equal(Object.keys(V2_BBH_CHOICES).length, 24);
  assert.deepEqual(Object.values(V2_MUSR_CHOICES), [2, 5, 3]);
  // The bounds are attained: all mass on the cheapest subtasks (lo) or on whole subtasks (hi).
  const b = v2SubtaskBounds(0.5, [2, 5, 3]);
  const lo = v2Subtasks([
    { raw: 0.5, choices: 2 },
    { raw: 0.2 + (1.5 - 0.5 - 0.2 - 1 / 3), choices: 5 },
    { raw: 1 / 3, choices: 3 },
  ]).normalized;
  assert.ok(Math.abs(b.lo - lo) < 1e-9, `${b.lo} vs ${lo}`);
  const hi = v2Subtasks([
    { raw: 1, choices: 2 },
    { raw: 0.5, choices: 5 },
    { raw: 0, choices: 3 },
  ]).normalized;
  assert.ok(hi <= b.hi + 1e-9);
});

test("MuSR's raw column is the plain mean of the three domains (250, 256, 250 questions) for every model", () => {
  // (k1/250 + k2/256 + k3/250) / 3 for whole numbers k: checked by solving for k2, then k1 + k3.
  for (const r of ROWS) {
    const raw = value(r, "evaluations_musr_value");
    let found = false;
    for (let k2 = 0; k2 <= 256 && !found; k2++) {
      const k13 = Math.round((3 * raw - k2 / 256) * 250);
      if (k13 >= 0 && k13 <= 500 && Math.abs((k13 / 250 + k2 / 256) / 3 - raw) <= 2 * halfUlp15(raw) + 1e-15)
        found = true;
    }
    assert.ok(found, `${r.model_name}: MuSR raw ${raw} is no mean of three domain accuracies`);
  }
});

test("BBH and MuSR: every published normalised score lies within what the formula allows for its raw score", () => {
  const bbh = Object.values(V2_BBH_CHOICES);
  const musr = Object.values(V2_MUSR_CHOICES);
  let bbhWidth = 0;
  for (const r of ROWS) {
    for (const [bench, choices] of [
      ["bbh", bbh],
      ["musr", musr],
    ] as const) {
      const raw = value(r, `evaluations_${bench}_value`);
      const published = value(r, `evaluations_${bench}_normalized_score`);
      const { lo, hi } = v2SubtaskBounds(raw, choices);
      const tol = 1e-9;
      assert.ok(
        lo - tol <= published && published <= hi + tol,
        `${r.model_name} ${bench}: ${published} not in [${lo}, ${hi}]`,
      );
      if (bench === "bbh") bbhWidth += hi - lo;
    }
  }
  // The bounds are informative, not [0, 100]: on average a BBH range spans far less than the scale.
  assert.ok(bbhWidth / ROWS.length < 60, `mean BBH range ${bbhWidth / ROWS.length}`);
});
