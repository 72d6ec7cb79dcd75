/**
 * MATH answer handling as lm-eval's `leaderboard/math/utils.py` (and `minerva_math/utils.py`) does it, after the
 * Minerva paper (Lewkowycz et al. 2022, appendix D): the last `\boxed{}` of a solution is the gold answer, a
 * model's answer is what follows "Final Answer: The final answer is", both are normalised by the same string
 * rules, and two answers are equal when the normalised strings are, or when `is_equiv` finds them equivalent.
 *
 * `is_equiv` in Python parses both answers with sympy's `parse_latex` (an ANTLR grammar) and asks
 * `sympy.simplify(a - b) == 0`; here `latex-parse.ts` parses them the same way (with sympy's quirks) and
 * `algebra.ts` decides the difference: exactly for rational functions of symbols, pi, E, I and radicals, by a
 * documented numeric rule where functions or powers of sums take part.
 */
import { rationalValue, simplifiesToZero } from "./algebra.ts";
import { type Expr, MathDomainError, type Rational } from "./expr.ts";
import { LatexParseError, parseLatexSympy } from "./latex-parse.ts";

export const INVALID_ANSWER = "[invalidanswer]";

/** `last_boxed_only_string`: the last `\boxed{...}` (or `\fbox{...}`, or `\boxed X$`) of a solution. */
export function lastBoxedOnlyString(string: string): string {
  let idx = string.lastIndexOf("\\boxed");
  if (string.includes("\\boxed ")) return `\\boxed ${(string.split("\\boxed ").at(-1) as string).split("$")[0]}`;
  if (idx < 0) {
    idx = string.lastIndexOf("\\fbox");
    if (idx < 0) return INVALID_ANSWER;
  }
  let open = 0;
  for (let i = idx; i < string.length; i++) {
    if (string[i] === "{") open++;
    if (string[i] === "}") {
      open--;
      if (open === 0) return string.slice(idx, i + 1);
    }
  }
  return INVALID_ANSWER;
}

/** `remove_boxed`: the content of `\boxed{...}` (or after `\boxed `); anything else is invalid. */
export function removeBoxed(s: string): string {
  if (s.includes("\\boxed ")) return s.startsWith("\\boxed ") ? s.slice("\\boxed ".length) : INVALID_ANSWER;
  const left = "\\boxed{";
  if (!s.startsWith(left) || !s.endsWith("}")) return INVALID_ANSWER;
  return s.slice(left.length, -1);
}

const PY_WS =
  /^[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;
const pyStrip = (s: string) => s.replace(PY_WS, "");

const FINAL_ANSWER = /Final Answer: The final answer is([^\n]*?)[^\n] I hope it is correct[^\n]/u;

/** `get_unnormalized_answer`: the text after "Final Answer: The final answer is", up to ". I hope it is correct." */
export function getUnnormalizedAnswer(text: string): string {
  const m = FINAL_ANSWER.exec(`${text}I hope it is correct.`);
  return m ? pyStrip(m[1] as string) : INVALID_ANSWER;
}

const SUBSTITUTIONS: Array<[string, string]> = [
  ["an ", ""],
  ["a ", ""],
  [".$", "$"],
  ["\\$", ""],
  ["\\ ", ""],
  [" ", ""],
  ["mbox", "text"],
  [",\\text{and}", ","],
  ["\\text{and}", ","],
  ["\\text{m}", "\\text{}"],
];

const REMOVED_EXPRESSIONS = [
  "square",
  "ways",
  "integers",
  "dollars",
  "mph",
  "inches",
  "ft",
  "hours",
  "km",
  "units",
  "\\ldots",
  "sue",
  "points",
  "feet",
  "minutes",
  "digits",
  "cents",
  "degrees",
  "cm",
  "gm",
  "pounds",
  "meters",
  "meals",
  "edges",
  "students",
  "childrentickets",
  "multiples",
  "\\text{s}",
  "\\text{.}",
  "\\text{\ns}",
  "\\text{}^2",
  "\\text{}^3",
  "\\text{\n}",
  "\\text{}",
  "\\mathrm{th}",
  "^\\circ",
  "^{\\circ}",
  "\\;",
  ",\\!",
  "{,}",
  '"',
  "\\dots",
];

/** Python's `str.isdigit()`: decimal digits and the other characters Unicode gives a digit value (², ①, ...). */
const PY_ISDIGIT =
  /^(?:\p{Nd}|[\u{b2}-\u{b3}\u{b9}\u{1369}-\u{1371}\u{19da}\u{2070}\u{2074}-\u{2079}\u{2080}-\u{2089}\u{2460}-\u{2468}\u{2474}-\u{247c}\u{2488}-\u{2490}\u{24ea}\u{24f5}-\u{24fd}\u{24ff}\u{2776}-\u{277e}\u{2780}-\u{2788}\u{278a}-\u{2792}\u{10a40}-\u{10a43}\u{10e60}-\u{10e68}\u{11052}-\u{1105a}\u{1f100}-\u{1f10a}])+$/u;

/** `normalize_final_answer`, rule for rule (Python `.` never matches a newline, hence `[^\n]`). */
export function normalizeFinalAnswer(input: string): string {
  let s = input.split("=").at(-1) as string;
  for (const [before, after] of SUBSTITUTIONS) s = s.replaceAll(before, after);
  for (const expr of REMOVED_EXPRESSIONS) s = s.replaceAll(expr, "");
  s = s.replace(/([^\n]*?)(\$)([^\n]*?)(\$)([^\n]*)/g, "$$$3$$");
  s = s.replace(/(\\text\{)([^\n]*?)(\})/g, "$2");
  s = s.replace(/(\\textbf\{)([^\n]*?)(\})/g, "$2");
  s = s.replace(/(\\overline\{)([^\n]*?)(\})/g, "$2");
  s = s.replace(/(\\boxed\{)([^\n]*)(\})/g, "$2");
  s = s.replace(/(frac)([^{])([^\n])/gu, "frac{$2}{$3}");
  s = s.replace(/(sqrt)([^{])/gu, "sqrt{$2}");
  s = s.replaceAll("$", "");
  if (PY_ISDIGIT.test(s.replaceAll(",", ""))) s = s.replaceAll(",", "");
  return s;
}

/**
 * `is_equiv(x1, x2)`: both parsed as sympy's `parse_latex` parses them, then `simplify(a - b) == 0`
 * (`algebra.ts`); a parse failure, a relation or a set means "not equal", as the Python's except branches do.
 */
export function isEquiv(x1: string, x2: string): boolean {
  let a: Expr;
  let b: Expr;
  try {
    a = parseLatexSympy(x1);
    b = parseLatexSympy(x2);
  } catch (e) {
    if (e instanceof LatexParseError || e instanceof MathDomainError) return false;
    throw e;
  }
  return simplifiesToZero(a, b).equal;
}

/** `process_result_v1` (the leaderboard's original `exact_match`): 1 when the final answer equals the gold one. */
export function processResultV1(goldAnswer: string, candidate: string): number {
  const answer = normalizeFinalAnswer(getUnnormalizedAnswer(candidate));
  const gold = normalizeFinalAnswer(goldAnswer);
  if (answer === INVALID_ANSWER) return 0;
  return pyStrip(answer) === pyStrip(gold) || isEquiv(answer, gold) ? 1 : 0;
}

/** The exact value of a LaTeX answer when it is a rational number (as sympy's `parse_latex` reads it). */
export function evaluateLatex(latex: string): Rational | undefined {
  try {
    return rationalValue(parseLatexSympy(latex));
  } catch (e) {
    if (e instanceof LatexParseError || e instanceof MathDomainError) return undefined;
    throw e;
  }
}
