/**
 * Pairs of MATH answers for measuring `simplifiesToZero` against real sympy (tools/math/sympy_equiv.py): every
 * distinct gold answer of the test split (normalised as lm-eval's Minerva code does) against (a) itself written
 * differently (terms and factors in reverse order, `\cdot` products, `\frac{1}{x}` for powers of -1), (b) three
 * other answers of the same subject, (c) perturbed variants (`+1`, times 2, its square) and, for numbers, its
 * six-digit decimal. Used by src/tasks/math/algebra.test.ts and tools/math/equiv-agreement.ts.
 */
import { readFileSync } from "node:fs";
import { rationalValue } from "../../src/tasks/math/algebra.ts";
import { type Expr, rToNumber } from "../../src/tasks/math/expr.ts";
import { parseLatexSympy } from "../../src/tasks/math/latex-parse.ts";
import { lastBoxedOnlyString, normalizeFinalAnswer, removeBoxed } from "../../src/tasks/math/minerva.ts";

export interface Pair {
  kind: "rewrite" | "same-subject" | "perturbed" | "decimal";
  a: string;
  b: string;
}

/** A LaTeX form of a tree, written unlike the usual order (for rewrites). */
export function toLatexReversed(e: Expr): string {
  const p = toLatexReversed;
  switch (e.k) {
    case "num":
      return e.v.den === 1n ? (e.v.num < 0n ? `(${e.v.num})` : `${e.v.num}`) : `\\frac{${e.v.num}}{${e.v.den}}`;
    case "float":
      return e.text.startsWith("-") ? `(${e.text})` : e.text;
    case "sym":
      return e.name.length === 1 ? e.name : `\\${e.name.replace(/_\{.*$/, "")}`;
    case "const":
      return e.name === "oo" ? "\\infty" : e.name;
    case "add":
      return `(${[...e.args].reverse().map(p).join("+")})`;
    case "mul":
      return `(${[...e.args].reverse().map(p).join("\\cdot ")})`;
    case "pow":
      if (e.exp.k === "num" && e.exp.v.num === -1n && e.exp.v.den === 1n) return `\\frac{1}{${p(e.base)}}`;
      if (e.exp.k === "num" && e.exp.v.num === 1n && e.exp.v.den === 2n) return `\\sqrt{${p(e.base)}}`;
      return `{(${p(e.base)})}^{${p(e.exp)}}`;
    case "fn":
      if (e.undefinedFn) throw new Error("undefined function");
      if (e.name === "abs") return `|${p(e.args[0] as Expr)}|`;
      if (e.name === "factorial") return `(${p(e.args[0] as Expr)})!`;
      if (e.name === "log" && e.args.length === 1) return `\\ln(${p(e.args[0] as Expr)})`;
      if (["sin", "cos", "tan", "cot", "sec", "csc"].includes(e.name)) return `\\${e.name}(${p(e.args[0] as Expr)})`;
      throw new Error(`no LaTeX for ${e.name}`);
    default:
      throw new Error(`no LaTeX for ${e.k}`);
  }
}

export function goldAnswers(dataDir: string): Array<{ answer: string; subject: string }> {
  const rows = readFileSync(`${dataDir}/math_hendrycks/test.jsonl`, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { solution: string; type?: string; subject?: string });
  const seen = new Set<string>();
  const out: Array<{ answer: string; subject: string }> = [];
  for (const r of rows) {
    const answer = normalizeFinalAnswer(removeBoxed(lastBoxedOnlyString(r.solution)));
    if (seen.has(answer)) continue;
    seen.add(answer);
    out.push({ answer, subject: r.type ?? r.subject ?? "" });
  }
  return out;
}

export function makePairs(dataDir: string): Pair[] {
  const answers = goldAnswers(dataDir).filter(({ answer }) => {
    try {
      parseLatexSympy(answer);
      return true;
    } catch {
      return false;
    }
  });
  const pairs: Pair[] = [];
  const bySubject = new Map<string, string[]>();
  for (const { answer, subject } of answers) bySubject.set(subject, [...(bySubject.get(subject) ?? []), answer]);
  for (const { answer, subject } of answers) {
    const tree = parseLatexSympy(answer);
    try {
      pairs.push({ kind: "rewrite", a: answer, b: toLatexReversed(tree) });
    } catch {
      // no LaTeX form for this tree (undefined functions, relations)
    }
    const same = bySubject.get(subject) as string[];
    const at = same.indexOf(answer);
    for (let k = 1; k <= 3 && k < same.length; k++)
      pairs.push({ kind: "same-subject", a: answer, b: same[(at + k * 7) % same.length] as string });
    pairs.push({ kind: "perturbed", a: answer, b: `(${answer})+1` });
    pairs.push({ kind: "perturbed", a: answer, b: `2(${answer})` });
    pairs.push({ kind: "perturbed", a: answer, b: `(${answer})^{2}` });
    const v = rationalValue(tree);
    if (v !== undefined && v.den !== 1n) pairs.push({ kind: "decimal", a: answer, b: rToNumber(v).toFixed(6) });
  }
  return pairs;
}
