import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { sharedDataPath } from "../../../test/support/python-reference.ts";
import { mathResponses } from "../../../tools/math/math-responses.ts";
import { mathProcessDocs, mathProcessResults } from "../hooks/modules/leaderboard-math.ts";
import { EXPR_CONFIG, LATEX_CONFIG, mathVerifyParse, mathVerifyVerify } from "./math-verify.ts";
import { normalizeLatex } from "./math-verify-normalize.ts";

const rows = readFileSync(sharedDataPath("math_hendrycks/test.jsonl"), "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as Record<string, unknown>);
const level5 = mathProcessDocs(rows);
const mv = (gold: string, pred: string) =>
  mathVerifyVerify(mathVerifyParse(gold, [LATEX_CONFIG]), mathVerifyParse(pred));

test("Math-Verify's behaviours on the forms answers take", () => {
  assert.equal(mv("$\\boxed{\\frac{1}{2}}$", "The final answer is $0.5$. I hope it is correct."), true);
  assert.equal(mv("$\\boxed{\\frac{1}{3}}$", "The answer is 0.333333"), true); // a Float rounds to 6 places
  assert.equal(mv("$\\boxed{\\frac{1}{3}}$", "The answer is 0.33"), false);
  assert.equal(mv("$\\boxed{2\\frac{1}{2}}$", "so $\\boxed{\\frac{5}{2}}$"), true); // mixed number
  assert.equal(mv("$\\boxed{50\\%}$", "The answer is $\\frac{1}{2}$"), true);
  assert.equal(mv("$\\boxed{\\{1,2,3\\}}$", "the answer is $\\boxed{3,2,1}$"), true); // sets in any order
  assert.equal(mv("$\\boxed{(1,2)}$", "the answer is $\\boxed{(2,1)}$"), false);
  assert.equal(mv("$\\boxed{[2,5)}$", "the answer is $\\boxed{[2,5)}$"), true);
  assert.equal(mv("$\\boxed{[2,5)}$", "the answer is $\\boxed{(2,5)}$"), false);
  assert.equal(mv("$\\boxed{x+1}$", "the answer is $\\boxed{1+x}$"), true);
  assert.equal(mv("$\\boxed{30^\\circ}$", "the answer is $\\boxed{30}$"), true);
  assert.equal(mv("$\\boxed{5 \\text{ cm}}$", "the answer is $\\boxed{5}$"), true); // units dropped
  assert.equal(mv("$\\boxed{y=2x+1}$", "the answer is $\\boxed{2x+1}$"), true); // assignment unwrapped
  assert.equal(normalizeLatex("\\dfrac12 \\text{ inches}", { boxed: "all" }), "\\frac{1}{2}");
  assert.deepEqual(mathVerifyParse("no answer here", [LATEX_CONFIG, EXPR_CONFIG]), []);
});

test("process_results on Level 5: gold parses verify, and realistic responses score as measured", () => {
  const counts: Record<string, [number, number, number]> = {};
  for (const r of mathResponses(level5)) {
    const o = mathProcessResults(r.doc, [r.response]);
    counts[r.kind] ??= [0, 0, 0];
    const c = counts[r.kind] as [number, number, number];
    c[0]++;
    c[1] += o.exact_match;
    c[2] += o.exact_match_original;
  }
  // [responses, exact_match, exact_match_original]. The Minerva-format answer verifies for 1,322 of 1,324: two
  // solutions box two values (`-1 and 2`; two angles), which Math-Verify's gold parse takes as the set of both.
  assert.deepEqual(counts["minerva"], [1324, 1322, 1324]);
  // A bare solution has no "Final Answer:" line: Math-Verify still finds its \boxed{}, the Minerva rules do not.
  assert.deepEqual(counts["solution"], [1324, 1324, 0]);
  assert.deepEqual(counts["boxed-rewritten"]?.[0], 1324);
  assert.ok((counts["boxed-rewritten"]?.[1] ?? 0) >= 1260);
  assert.deepEqual(counts["wrong"]?.[0], 1324);
  assert.ok((counts["wrong"]?.[1] ?? 99) <= 12 && (counts["wrong"]?.[2] ?? 99) <= 12);
});
