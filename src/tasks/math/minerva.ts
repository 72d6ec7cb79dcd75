/**
 * MATH answer handling as lm-eval's `leaderboard/math/utils.py` (and `minerva_math/utils.py`) does it, after the
 * Minerva paper (Lewkowycz et al. 2022, appendix D): the last `\boxed{}` of a solution is the gold answer, a
 * model's answer is what follows "Final Answer: The final answer is", both are normalised by the same string
 * rules, and two answers are equal when the normalised strings are, or when `is_equiv` finds them equivalent.
 *
 * `is_equiv` in Python parses both answers with sympy's `parse_latex` (an ANTLR grammar) and asks
 * `sympy.simplify(a - b) == 0`. This port has no computer algebra: it decides equivalence exactly when both
 * answers are numbers it can evaluate as exact rationals (integers, decimals, fractions, + - * / ^ with integer
 * exponents, parentheses, `\cdot`, `\times`, `\frac`/`\dfrac`/`\tfrac`, square roots of perfect squares, `\%`
 * left out); anything symbolic (variables, `\pi`, irrational roots, intervals, matrices) counts as not equal,
 * which is also what Python answers when `parse_latex` fails. Where sympy would prove two symbolic answers
 * equal (`x+1` and `1+x`), this port says no; that is the documented gap.
 */

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

/** `is_equiv(x1, x2)` restricted to exact rational arithmetic (see the module comment). */
export function isEquiv(x1: string, x2: string): boolean {
  const a = evaluateLatex(x1);
  const b = evaluateLatex(x2);
  return a !== undefined && b !== undefined && a.num * b.den === b.num * a.den;
}

/** `process_result_v1` (the leaderboard's original `exact_match`): 1 when the final answer equals the gold one. */
export function processResultV1(goldAnswer: string, candidate: string): number {
  const answer = normalizeFinalAnswer(getUnnormalizedAnswer(candidate));
  const gold = normalizeFinalAnswer(goldAnswer);
  if (answer === INVALID_ANSWER) return 0;
  return pyStrip(answer) === pyStrip(gold) || isEquiv(answer, gold) ? 1 : 0;
}

// ---- exact rational evaluation of a LaTeX arithmetic expression ----

interface Rational {
  num: bigint;
  den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y) [x, y] = [y, x % y];
  return x;
}

function rational(num: bigint, den: bigint): Rational {
  if (den === 0n) throw new EvalError("division by zero");
  const g = gcd(num, den) || 1n;
  const sign = den < 0n ? -1n : 1n;
  return { num: (sign * num) / g, den: (sign * den) / g };
}

const add = (a: Rational, b: Rational) => rational(a.num * b.den + b.num * a.den, a.den * b.den);
const sub = (a: Rational, b: Rational) => rational(a.num * b.den - b.num * a.den, a.den * b.den);
const mul = (a: Rational, b: Rational) => rational(a.num * b.num, a.den * b.den);
const div = (a: Rational, b: Rational) => rational(a.num * b.den, a.den * b.num);

function pow(a: Rational, e: Rational): Rational {
  if (e.den !== 1n || e.num > 64n || e.num < -64n) throw new EvalError("non-integer or large exponent");
  let r = rational(1n, 1n);
  const n = e.num < 0n ? -e.num : e.num;
  for (let i = 0n; i < n; i++) r = mul(r, a);
  return e.num < 0n ? div(rational(1n, 1n), r) : r;
}

function isqrt(n: bigint): bigint | undefined {
  if (n < 0n) return undefined;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x * x === n ? x : undefined;
}

function sqrt(a: Rational): Rational {
  const n = isqrt(a.num);
  const d = isqrt(a.den);
  if (n === undefined || d === undefined) throw new EvalError("irrational square root");
  return rational(n, d);
}

const TOKEN = /\s*(\\[a-zA-Z]+|\d+\.?\d*|\.\d+|[-+*/^(){}[\]!])/y;

function tokenize(s: string): string[] | undefined {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < s.length) {
    if (/^\s*$/.test(s.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(s);
    if (!m) return undefined;
    out.push(m[1] as string);
    pos = TOKEN.lastIndex;
  }
  return out;
}

const IGNORED = new Set(["\\left", "\\right", "\\!", "\\,"]);

/** The exact value of a LaTeX arithmetic expression, or undefined when it is not one. */
export function evaluateLatex(latex: string): Rational | undefined {
  const tokens = tokenize(latex)?.filter((t) => !IGNORED.has(t));
  if (!tokens || tokens.length === 0) return undefined;
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const expect = (t: string) => {
    if (next() !== t) throw new EvalError(`expected ${t}`);
  };

  const expr = (): Rational => {
    let v = term();
    for (let t = peek(); t === "+" || t === "-"; t = peek()) {
      next();
      v = t === "+" ? add(v, term()) : sub(v, term());
    }
    return v;
  };
  const term = (): Rational => {
    let v = unary();
    for (;;) {
      const t = peek();
      if (t === "*" || t === "\\cdot" || t === "\\times") {
        next();
        v = mul(v, unary());
      } else if (t === "/" || t === "\\div") {
        next();
        v = div(v, unary());
      } else if (
        t !== undefined &&
        (t === "(" || t === "\\frac" || t === "\\dfrac" || t === "\\tfrac" || t === "\\sqrt")
      )
        v = mul(v, unary());
      else return v;
    }
  };
  const unary = (): Rational => {
    const t = peek();
    if (t === "-") {
      next();
      return sub(rational(0n, 1n), unary());
    }
    if (t === "+") {
      next();
      return unary();
    }
    return power();
  };
  const power = (): Rational => {
    const base = atom();
    if (peek() === "^") {
      next();
      return pow(base, peek() === "{" ? group() : atom());
    }
    return base;
  };
  const group = (): Rational => {
    expect("{");
    const v = expr();
    expect("}");
    return v;
  };
  const atom = (): Rational => {
    const t = next();
    if (t === undefined) throw new EvalError("unexpected end");
    if (/^[\d.]/.test(t)) {
      const [int, frac = ""] = t.split(".");
      return rational(BigInt(`${int || "0"}${frac}`), 10n ** BigInt(frac.length));
    }
    if (t === "(") {
      const v = expr();
      expect(")");
      return v;
    }
    if (t === "{") {
      i--;
      return group();
    }
    if (t === "\\frac" || t === "\\dfrac" || t === "\\tfrac") return div(group(), group());
    if (t === "\\sqrt") return sqrt(group());
    throw new EvalError(`unsupported ${t}`);
  };

  try {
    const v = expr();
    return i === tokens.length ? v : undefined;
  } catch (e) {
    if (e instanceof EvalError) return undefined;
    throw e;
  }
}
