import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { test } from "node:test";
import { pythonReferenceMissing, sharedDataPath } from "../../../test/support/python-reference.ts";
import { makePairs } from "../../../tools/math/equiv-pairs.ts";
import { simplifiesToZero } from "./algebra.ts";
import { toSympy } from "./expr.ts";
import { parseLatexSympy } from "./latex-parse.ts";

const eq = (a: string, b: string) => simplifiesToZero(parseLatexSympy(a), parseLatexSympy(b)).equal;

test("simplify(a - b) == 0 on the forms MATH answers take", () => {
  assert.equal(eq("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}"), true);
  assert.equal(eq("2\\sqrt{12}", "4\\sqrt{3}"), true);
  assert.equal(eq("\\sqrt[3]{2}\\sqrt[3]{4}", "2"), true);
  assert.equal(eq("\\frac{x^2-1}{x-1}", "x+1"), true);
  assert.equal(eq("(a+b)^2", "a^2+2ab+b^2"), true);
  assert.equal(eq("0.5", "\\frac{1}{2}"), true);
  assert.equal(eq("\\frac{1}{3}", "0.333333"), false);
  assert.equal(eq("\\sqrt{x^2}", "x"), false); // a sympy symbol may be negative or complex
  assert.equal(eq("\\sin^2 x + \\cos^2 x", "1"), true); // numeric rule (functions)
  assert.equal(eq("\\pi r^2", "r^2\\pi"), true);
  assert.equal(eq("\\infty", "\\infty"), false); // oo - oo is nan in sympy
  assert.equal(eq("2^{2005}", "{(2)}^{2005}"), true);
});

test("agrees with real sympy's simplify on MATH answer pairs (every 8th of tools/math/equiv-pairs.ts)", (t) => {
  const missing = pythonReferenceMissing(["sympy"]);
  if (missing) return t.skip(`no reference: ${missing}`);
  const pairs = makePairs(resolve(sharedDataPath("math_hendrycks/test.jsonl"), "../.."))
    .filter((_, i) => i % 8 === 0)
    .flatMap((p) => {
      try {
        return [{ ...p, a: parseLatexSympy(p.a), b: parseLatexSympy(p.b) }];
      } catch {
        return []; // sympy's parse_latex rejects one side too (checked by the parser comparison)
      }
    });
  const out = execFileSync(
    "/usr/bin/python3",
    [resolve(import.meta.dirname, "../../../tools/math/sympy_equiv.py"), "10"],
    {
      input: pairs.map((p) => JSON.stringify({ a: toSympy(p.a), b: toSympy(p.b) })).join("\n"),
      encoding: "utf8",
      maxBuffer: 1 << 26,
    },
  );
  const ref = out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { equal?: boolean; timeout?: boolean });
  let agree = 0;
  let decided = 0;
  let equal = 0;
  const bad: string[] = [];
  pairs.forEach((p, i) => {
    const r = ref[i];
    if (!r || r.timeout) return;
    decided++;
    if (r.equal) equal++;
    if (simplifiesToZero(p.a, p.b).equal === (r.equal === true)) agree++;
    else bad.push(`${toSympy(p.a)} vs ${toSympy(p.b)}`);
  });
  assert.ok(decided >= 1400, `pairs decided by sympy: ${decided}`);
  assert.ok(equal >= 200, `equal pairs: ${equal}`);
  assert.deepEqual(bad, []);
  assert.equal(agree, decided);
});
