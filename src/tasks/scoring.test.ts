import assert from "node:assert/strict";
import { test } from "node:test";
import { applyFilter } from "./filters.ts";
import { exactMatch, scoreChoices } from "./metrics.ts";
import type { FilterPipeline } from "./schema.ts";

const STRICT: FilterPipeline = {
  name: "strict-match",
  filter: [{ function: "regex", regex_pattern: "#### (\\-?[0-9\\.\\,]+)" }, { function: "take_first" }],
};
const FLEX: FilterPipeline = {
  name: "flexible-extract",
  filter: [
    { function: "regex", regex_pattern: "(-?[$0-9.,]{2,})|(-?[0-9]+)", group_select: -1 },
    { function: "take_first" },
  ],
};
const GSM_EM = {
  metric: "exact_match" as const,
  ignore_case: true,
  regexes_to_ignore: [",", "\\$", "(?s).*#### ", "\\.$"],
};

test("GSM8K extraction: strict needs '#### n', flexible takes the last number", () => {
  const out = "She sells 9 eggs for $2 each, so she makes $18.\n#### 18";
  assert.equal(applyFilter(out, STRICT), "18");
  assert.equal(applyFilter(out, FLEX), "18");
  const noHash = "She makes 9 * 2 = $18 every day.";
  assert.equal(applyFilter(noHash, STRICT), "[invalid]");
  assert.equal(applyFilter(noHash, FLEX), "$18");
  const target = "Janet sells 16 - 3 - 4 = 9 duck eggs.\nShe makes 9 * 2 = $<<9*2=18>>18\n#### 18";
  assert.equal(exactMatch(applyFilter(noHash, FLEX), target, GSM_EM), 1, "the $ and the #### prefix are ignored");
  assert.equal(exactMatch(applyFilter(noHash, STRICT), target, GSM_EM), 0);
  assert.equal(exactMatch("1,234.", "#### 1234", GSM_EM), 1);
});

test("exact_match options: case and punctuation", () => {
  assert.equal(exactMatch("True", "true", { metric: "exact_match" }), 0);
  assert.equal(exactMatch("True", "true", { metric: "exact_match", ignore_case: true }), 1);
  assert.equal(exactMatch("(A)", "A", { metric: "exact_match", ignore_punctuation: true }), 1);
});

test("acc picks the highest log-likelihood; acc_norm divides by length in characters", () => {
  // Choice 1 is long: lower total log-likelihood but higher per character.
  const s = scoreChoices([-4, -6], [1], [2, 12]);
  assert.equal(s.acc, 0);
  assert.equal(s.acc_norm, 1);
  assert.equal(s.pred, 0);
});

test("MC2 is the normalised probability mass on the true answers", () => {
  const lls = [Math.log(0.2), Math.log(0.1), Math.log(0.3), Math.log(0.4)];
  const s = scoreChoices(lls, [0, 1], [1, 1, 1, 1]);
  assert.ok(Math.abs(s.mc2 - 0.3) < 1e-12);
  assert.equal(s.mc1, 0);
});
