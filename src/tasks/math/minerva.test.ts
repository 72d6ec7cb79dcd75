import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { lmevalMathReference, pythonReferenceMissing, sharedDataPath } from "../../../test/support/python-reference.ts";
import { MATH_FEWSHOT_SAMPLES, mathDocToText, mathProcessDocs } from "../hooks/modules/leaderboard-math.ts";
import { lookupHook } from "../hooks/registry.ts";
import {
  evaluateLatex,
  getUnnormalizedAnswer,
  INVALID_ANSWER,
  isEquiv,
  lastBoxedOnlyString,
  normalizeFinalAnswer,
  processResultV1,
  removeBoxed,
} from "./minerva.ts";

const readJsonl = (rel: string) =>
  readFileSync(sharedDataPath(rel), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const all = readJsonl("math_hendrycks/test.jsonl");
const level5 = mathProcessDocs(all);
const pythonMissing = pythonReferenceMissing(["sympy"]);

/** A response in the format the Minerva few-shot examples teach: the solution, then the final-answer line. */
const minervaResponse = (doc: Record<string, unknown>, answer = doc["answer"] as string) =>
  `${doc["solution"]}\nFinal Answer: The final answer is $${answer}$. I hope it is correct.`;

test("process_docs keeps the 1,324 Level 5 problems in order and extracts every gold answer", () => {
  assert.equal(all.length, 5000);
  assert.equal(level5.length, 1324);
  assert.deepEqual(
    level5.map((d) => d["unique_id"]),
    readJsonl("math_hendrycks/test_level5.jsonl").map((d) => d["unique_id"]),
  );
  const invalid = level5.filter((d) => d["answer"] === INVALID_ANSWER);
  assert.equal(invalid.length, 0);
});

test("every Level 5 reference solution is judged equal to its own answer (1,324 of 1,324)", () => {
  let correct = 0;
  let withoutFinalLine = 0;
  for (const doc of level5) {
    correct += processResultV1(doc["answer"] as string, minervaResponse(doc));
    // The bare solution has no "Final Answer:" line, so the leaderboard's extraction finds nothing.
    withoutFinalLine += processResultV1(doc["answer"] as string, doc["solution"] as string);
  }
  assert.equal(correct, 1324);
  assert.equal(withoutFinalLine, 0);
});

test("is_equiv decides numeric answers exactly: each rational Level 5 answer equals its other written forms", () => {
  let numeric = 0;
  let equivalent = 0;
  for (const doc of level5) {
    const gold = normalizeFinalAnswer(doc["answer"] as string);
    const v = evaluateLatex(gold);
    if (!v) continue;
    numeric++;
    // Another way to write the same number: a fraction, or a plain integer.
    const other = v.den === 1n ? `${v.num}` : `\\frac{${v.num}}{${v.den}}`;
    const alt = other === gold ? `(${other})` : other;
    if (
      isEquiv(normalizeFinalAnswer(alt), gold) &&
      processResultV1(doc["answer"] as string, minervaResponse(doc, alt)) === 1
    )
      equivalent++;
  }
  // 1,049 plain numbers plus 18 lists that sympy's parse_latex reads as their first number (`8,-112` is 8: its
  // grammar has no EOF, so the parse stops at the comma; `[-36,104]` is -36104, a thousands group).
  assert.equal(numeric, 1067);
  assert.equal(equivalent, numeric);
  assert.equal(isEquiv("0.5", "\\frac{1}{2}"), true);
  assert.equal(isEquiv("\\dfrac{6}{4}", "1.5"), true);
  assert.equal(isEquiv("2^{-2}", "\\frac14".replace("frac14", "frac{1}{4}")), true);
  assert.equal(isEquiv("\\sqrt{16}", "4"), true);
  assert.equal(isEquiv("\\frac{1}{3}", "0.33"), false);
  // Symbolic answers are decided as sympy's simplify decides them (src/tasks/math/algebra.ts).
  assert.equal(isEquiv("x+1", "1+x"), true);
  assert.equal(isEquiv("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}"), true);
  assert.equal(isEquiv("2\\pi", "\\pi+\\pi"), true);
  assert.equal(isEquiv("x(x+1)", "x^2+x"), false); // sympy: `x(...)` is a function call
  assert.equal(isEquiv("8", "8,-112"), true); // sympy parses the prefix `8`
  assert.equal(isEquiv("5\\%", "5"), false); // `\%` is a lexer error in sympy's grammar
});

test("answer extraction and normalisation equal lm-eval's Python on all 5,000 test solutions", (t) => {
  if (pythonMissing) return t.skip(pythonMissing);
  const candidates: Array<Record<string, unknown> & { candidate: string }> = all.map((d, i) => ({
    ...d,
    candidate:
      i % 2 === 0
        ? minervaResponse({ ...d, answer: removeBoxed(lastBoxedOnlyString(d["solution"] as string)) })
        : `${d["solution"]}\nFinal Answer: The final answer is ${i % 3 ? "$\\frac12$" : "12,000"}. I hope it is correct.`,
  }));
  const python = lmevalMathReference(candidates);
  assert.equal(python.length, 5000);
  let same = 0;
  let v1Same = 0;
  let v1Python = 0;
  candidates.forEach((d, i) => {
    const p = python[i] as (typeof python)[number];
    const answer = removeBoxed(lastBoxedOnlyString(d["solution"] as string));
    if (
      answer === p.answer &&
      normalizeFinalAnswer(answer) === p.normalized &&
      getUnnormalizedAnswer(d.candidate) === p.unnormalized
    )
      same++;
    // Python's is_equiv cannot run here (no ANTLR 4.10 for sympy's parse_latex): it raises, and lm-eval scores 0.
    // Where the strings decide, both sides must agree.
    if (typeof p.v1 === "number") {
      v1Python++;
      if (processResultV1(answer, d.candidate) === p.v1) v1Same++;
    }
  });
  assert.equal(same, 5000);
  assert.equal(v1Same, v1Python);
  assert.ok(v1Python >= 2500, `string-decided verdicts: ${v1Python}`);
});

test("the Minerva prompt and the hooks bound to leaderboard/math/utils.py", () => {
  const source = execFileSync("tar", [
    "xzOf",
    sharedDataPath("lm_eval_tasks/lm_eval_tasks.tar.gz"),
    "lm_eval/tasks/leaderboard/math/utils.py",
  ]);
  for (const name of ["process_docs", "doc_to_text", "list_fewshot_samples", "process_results"])
    assert.ok(lookupHook(source, name).ok, name);
  const doc = level5[0] as Record<string, unknown>;
  assert.equal(mathDocToText(doc), `Problem:\n${doc["problem"]}\n\nSolution:`);
  assert.equal(MATH_FEWSHOT_SAMPLES.length, 4);
  // Each few-shot solution ends in the final-answer line a model is expected to copy, and scores 1 on itself.
  for (const s of MATH_FEWSHOT_SAMPLES) {
    const answer = removeBoxed(lastBoxedOnlyString(s["solution"] as string));
    assert.equal(processResultV1(answer, s["solution"] as string), 1);
  }
});
