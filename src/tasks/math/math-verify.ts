/**
 * Hugging Face Math-Verify 0.8.0 (`math_verify.parse` and `math_verify.verify`, on latex2sympy2_extended 1.10.2),
 * the `exact_match` of lm-eval's `leaderboard/math/utils.py`:
 * - `parse(text, configs)` finds answers with Math-Verify's regexes in its priority order ("final answer is ...
 *   I hope" first, then "final answer ... is", `\boxed{}` at 50, "answer:" at 100/200, any LaTeX or number at
 *   300; within a priority the rightmost match first), normalises each LaTeX candidate (`math-verify-normalize.ts`),
 *   parses it in the latex2sympy2 dialect (`latex-parse.ts`) and returns the first that parses plus the first
 *   matched string (its `fallback_mode="first_match"`).
 * - `verify(gold, pred)` tries every pair: structural equality, relations (same or flipped sides, lhs - rhs
 *   compared), sets, tuples and intervals element by element, symbols by name, numbers with a Float rounded to
 *   6 places, then `simplify(a - b) == 0` (`algebra.ts`, real symbols); two strings compare stripped.
 * Not ported (see docs/decisions/0005-math-verify.md for how often each matters on MATH Level 5): `solve`-based
 * equation comparison, matrices beyond element-wise equality, set-relation conversion (`as_set`), integrals,
 * limits, sums, derivatives, the 5 s timeouts (nothing here runs long).
 */
import { simplifiesToZero } from "./algebra.ts";
import { type Expr, freeSymbols, isRelational, MathDomainError, num, parseDecimal, rat, rToNumber } from "./expr.ts";
import { LatexParseError, parseLatexL2S } from "./latex-parse.ts";
import { normalizeLatex } from "./math-verify-normalize.ts";

/** What `parse` returns: parsed answers and the fallback string. */
export type Extracted = Expr | string;

export interface ExtractionConfig {
  kind: "latex" | "expr";
}
export const LATEX_CONFIG: ExtractionConfig = { kind: "latex" };
export const EXPR_CONFIG: ExtractionConfig = { kind: "expr" };

const ci = (w: string) => w.replace(/[a-zA-Z]/g, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);
const FINAL_ANSWER_IS = ci("final answer is");
const FINAL_ANSWER = ci("final answer");
const ANSWER = ci("answer");

function latexEnvPattern(prefix: string, context: "boxed" | "plain"): string {
  const percent = `(?<${prefix}percent>(?:\\\\?%|[Pp]ercent|[Pp]ercentage|[Pp]ct))`;
  let dd = "(?:[^$]|\\$(?!\\$))";
  let db = "(?:[^\\\\]|\\\\(?!\\]))";
  let id = "(?:\\\\[$]|[^\\n$])";
  let ip = "(?:[^\\\\\\n]|\\\\(?!\\)))";
  let ib = "[^\\n\\]\\[]";
  if (context === "boxed") {
    const boxed = (c: string) => `${c}*?\\\\boxed{${c}+?}${c}*?`;
    [dd, db, id, ip, ib] = [boxed(dd), boxed(db), boxed(id), boxed(ip), boxed(ib)];
  } else [dd, db, id, ip, ib] = [`${dd}+?`, `${db}+?`, `${id}+?`, `${ip}+?`, `${ib}+?`];
  const patterns = [
    `(?<!\\\\)\\$\\$(?<${prefix}latexDisplayDollar>${dd})(?<!\\\\)\\$\\$`,
    `(?<!\\\\)\\\\\\[(?<${prefix}latexDisplayBracket>${db})(?<!\\\\)\\\\\\]`,
    `(?<!\\\\|\\d)\\$(?<${prefix}latexInlineDollar>${id})(?<!\\\\)\\$`,
    `(?<!\\\\)\\\\\\((?<${prefix}latexInlineParenthesis>${ip})(?<!\\\\)\\\\\\)`,
    `\\s\\[(?<${prefix}latexInlineBracket>${ib})\\]\\s`,
  ];
  if (context === "plain") {
    const simple = "-?\\d+(?:[.,]\\d+)?";
    patterns.push(`(?<${prefix}latexFraction>-?\\\\frac{${simple}}{${simple}})`);
  }
  return `(?:(?:${patterns.join("|")})\\s*${percent}?)`;
}

interface Rx {
  re: RegExp;
  priority: number;
  config: ExtractionConfig;
}

function latexRegexes(): Rx[] {
  const first = latexEnvPattern("first_", "plain");
  const next = [1, 2, 3, 4, 5]
    .map((i) => `(?:\\s*(?:,?and|,?or|,)\\s*${latexEnvPattern(`next${i}_`, "plain")})?`)
    .join("");
  const latexRe = `(?:${first}${next})`;
  const out: Array<[string, number]> = [
    [`${FINAL_ANSWER_IS}\\:?\\s*${latexRe}\\.?\\s?I hope`, 0],
    [`${FINAL_ANSWER}.{0,100}?\\s+is\\:?\\s*${latexRe}`, 50],
    [`${ANSWER}:.{0,50}?${latexRe}`, 100],
    [`${ANSWER}.{0,50}?${latexRe}`, 200],
    [latexRe, 300],
  ];
  const boxedFirst = latexEnvPattern("first_", "boxed");
  const boxedNext = [1, 2, 3, 4, 5]
    .map((i) => `\\s*(?:\\s*(?:,?and|,?or|,)\\s*${latexEnvPattern(`next${i}_`, "boxed")})?`)
    .join("");
  out.push([`${boxedFirst}${boxedNext}`, 50]);
  out.push(["(?<first_latexBoxed>\\\\boxed{.+})", 50]);
  return out.map(([re, priority]) => ({ re: new RegExp(re, "gs"), priority, config: LATEX_CONFIG }));
}

function exprRegexes(): Rx[] {
  const numberRe =
    "(?<!\\d)(?:(?<integer1>-?[1-9]\\d{0,2}(?:[ ,]\\d{3})+)(?<decimal1>\\.\\d+)?|(?<integer2>-?\\d+)(?<decimal2>[.,]\\d+)|(?<decimal3>\\.\\d+)|(?<integer3>-?\\d+))(?<percent>\\s*(?:%|[Pp]ercent|\\s*[Pp]ercentage|\\s*[Pp]ct))?";
  const ops = "\\+\\-\\*\\×\\/\\^\\(\\)\\÷";
  const all = `[\\d\\.\\s${ops}]`;
  const exprRe = `(?<expr>-?\\(?-?\\d${all}*[${ops}]${all}+\\)?)`;
  const currency = "$€£¥₹₽₪₩₫฿₡₢₣₤₥₦₧₨₩₪₫₭₮₯₰₱₲₳₴₵₶₷₸₹₺₻₼₽₾₿".replace(/\$/g, "\\$");
  const prefix = "(?:^|\\s|\\=)(?:\\*\\*)?";
  const suffix = "(?:\\*\\*)?(?:\\.|,|:|\\s|\\)|\\$|$)";
  const exprAnchored = `(?:${prefix}${exprRe}${suffix})`;
  const numberAnchored = `(?:${prefix}[${currency}]?${numberRe})`;
  const either = `(?:${exprAnchored}|${numberAnchored})`;
  const out: Array<[string, number]> = [
    [`${FINAL_ANSWER_IS}\\:?\\s*${either}\\.?\\s?I hope`, 0],
    [`${FINAL_ANSWER}.{0,100}?\\s+is\\:?${either}`, 50],
    [`${ANSWER}:(?:.{0,100}=\\s*|.{0,50}?)${either}(?!\\s*=)`, 100],
    [`${ANSWER}(?:.{0,100}=\\s*|.{0,50}?)${either}(?!\\s*=)`, 200],
    [exprAnchored, 300],
    [numberAnchored, 300],
  ];
  return out.map(([re, priority]) => ({ re: new RegExp(re, "g"), priority, config: EXPR_CONFIG }));
}

let cache: { latex: Rx[]; expr: Rx[] } | undefined;
const regexes = () => {
  cache ??= { latex: latexRegexes(), expr: exprRegexes() };
  return cache;
};

const COMPLEX =
  /\\mathbb\{C\}|\\i\b|\bi\b|\\text\{i\}|\\mathrm\{i\}|\\imath\b|\\det|\\operatorname\{tr\}|\\operatorname\{rank\}|\\text\{rank\}|\\arg\{|\\Re\{|\\Im\{|\\operatorname\{Re\}|\\operatorname\{Im\}|\\text\{Re\}|\\text\{Im\}/;

/** `latex2sympy(latex, is_real=not should_treat_as_complex(latex))`: `x` in `2x+i` is another symbol than in `2x`. */
const l2s = (latex: string) => parseLatexL2S(latex, { real: !COMPLEX.test(latex) });

/** `parse_latex_cached`: the whole text, else (no `,`/`;`, three or more `=` parts) the last equation's side. */
function parseLatexCached(latex: string): Expr {
  try {
    return l2s(latex);
  } catch (e) {
    if (!(e instanceof LatexParseError || e instanceof MathDomainError)) throw e;
    if (!latex.includes(",") && !latex.includes(";")) {
      const parts = latex.split(/(?<!\\|<|!|>)=/);
      if (parts.length > 2) return l2s(parts.at(-1) as string);
    }
    throw e;
  }
}

const pct = (e: Expr): Expr => ({ k: "mul", args: [e, num(1, 100)] });

function extractLatex(groups: Record<string, string | undefined>): [Expr | undefined, string] {
  const found: Array<[string, string]> = [];
  const firstName = Object.keys(groups).find((n) => n.startsWith("first_latex") && groups[n]);
  if (firstName) found.push([groups[firstName] as string, firstName]);
  for (let i = 1; i <= 5; i++) {
    const n = Object.keys(groups).find((k) => k.startsWith(`next${i}_latex`) && groups[k]);
    if (n) found.push([groups[n] as string, n]);
  }
  const exprs: Array<Expr | undefined> = [];
  const strs: string[] = [];
  for (const [latex, name] of found) {
    const [pre, group] = name.split("_") as [string, string];
    const isPct = Boolean(groups[`${pre}_percent`]);
    const normalized = normalizeLatex(latex, { boxed: group === "latexBoxed" ? "last" : "all" });
    strs.push(normalized);
    try {
      const parsed = parseLatexCached(normalized);
      exprs.push(isPct ? pct(parsed) : parsed);
    } catch (e) {
      if (!(e instanceof LatexParseError || e instanceof MathDomainError)) throw e;
      exprs.push(undefined);
    }
  }
  if (exprs.length === 0) return [undefined, ""];
  if (exprs.length > 1 && exprs.every((x) => x !== undefined)) {
    const elements = (exprs as Expr[]).flatMap((x) => (x.k === "set" ? x.args : [x]));
    return [{ k: "set", args: elements }, strs.join(" and ")];
  }
  return [exprs[0], strs[0] as string];
}

function extractExpr(groups: Record<string, string | undefined>): [Expr | undefined, string] {
  const pick = (p: string) => Object.entries(groups).find(([n, v]) => n.startsWith(p) && v)?.[1] ?? "";
  let integer = pick("integer");
  const decimal = pick("decimal");
  if (integer || decimal) {
    integer = integer.replace(/[, ]/g, "").replace(/^0+/, "") || "0";
    const d = decimal.replace(",", ".");
    const text = `${integer}${d}`;
    const neg = text.startsWith("-");
    const body = neg ? text.slice(1) : text;
    let n: Expr = d ? { k: "float", v: parseDecimal(body), text } : { k: "num", v: rat(BigInt(body || "0")) };
    if (neg) n = n.k === "float" ? { ...n, v: rat(-n.v.num, n.v.den) } : { k: "num", v: rat(-n.v.num, n.v.den) };
    return [groups["percent"] ? pct(n) : n, text];
  }
  const expr = groups["expr"] ?? "";
  if (expr) {
    try {
      return [parsePlainExpr(expr.replaceAll("\n", " ").replaceAll("^", "**")), expr];
    } catch {
      // sympy's parse_expr failed: no value, the string still counts as a fallback
    }
  }
  return [undefined, expr];
}

/** sympy's `parse_expr(s, evaluate=False)` for what Math-Verify's expression regex admits: numbers, + - * / ** ( ). */
export function parsePlainExpr(s: string): Expr {
  const toks = s.match(/\*\*|\d+\.?\d*|\.\d+|[-+*/()×÷]|\S/g) ?? [];
  let i = 0;
  const peek = () => toks[i];
  const eat = (t?: string) => {
    const x = toks[i++];
    if (x === undefined || (t !== undefined && x !== t)) throw new LatexParseError(`expected ${t ?? "token"}`);
    return x;
  };
  const atom = (): Expr => {
    const t = eat();
    if (t === "(") {
      const e = sum();
      eat(")");
      return e;
    }
    if (/^\d|^\./.test(t))
      return t.includes(".") ? { k: "float", v: parseDecimal(t), text: t } : { k: "num", v: rat(BigInt(t)) };
    throw new LatexParseError(`unexpected ${t}`);
  };
  const power = (): Expr => {
    const b = atom();
    if (peek() === "**") {
      eat();
      return { k: "pow", base: b, exp: unary() };
    }
    return b;
  };
  const unary = (): Expr => {
    if (peek() === "-") {
      eat();
      return { k: "mul", args: [num(-1), unary()] };
    }
    if (peek() === "+") {
      eat();
      return unary();
    }
    return power();
  };
  const product = (): Expr => {
    let e = unary();
    for (let t = peek(); t === "*" || t === "/"; t = peek()) {
      eat();
      const r = unary();
      e = t === "*" ? { k: "mul", args: [e, r] } : { k: "mul", args: [e, { k: "pow", base: r, exp: num(-1) }] };
    }
    return e;
  };
  const sum = (): Expr => {
    let e = product();
    for (let t = peek(); t === "+" || t === "-"; t = peek()) {
      eat();
      const r = product();
      e = { k: "add", args: [e, t === "+" ? r : { k: "mul", args: [num(-1), r] }] };
    }
    return e;
  };
  const e = sum();
  if (i !== toks.length) throw new LatexParseError("trailing input");
  return e;
}

/** `math_verify.parse(text, extraction_config)` with `fallback_mode="first_match"`, `extraction_mode="any_match"`. */
export function mathVerifyParse(text: string, configs: ExtractionConfig[] = [LATEX_CONFIG, EXPR_CONFIG]): Extracted[] {
  const all = configs.flatMap((c) => (c.kind === "latex" ? regexes().latex : regexes().expr));
  const priorities = [...new Set(all.map((r) => r.priority))].sort((a, b) => a - b);
  const predictions: Extracted[] = [];
  const fallbacks: string[] = [];
  for (const priority of priorities) {
    const matches: Array<{ m: RegExpMatchArray; config: ExtractionConfig; order: number }> = [];
    let order = 0;
    for (const rx of all.filter((r) => r.priority === priority))
      for (const m of text.matchAll(rx.re)) matches.push({ m, config: rx.config, order: order++ });
    const end = (m: RegExpMatchArray) => (m.index as number) + m[0].length;
    matches.sort((x, y) => end(y.m) - end(x.m) || (x.m.index as number) - (y.m.index as number) || x.order - y.order);
    for (const { m, config } of matches) {
      const groups = m.groups ?? {};
      const [value, str] = config.kind === "latex" ? extractLatex(groups) : extractExpr(groups);
      if (str) fallbacks.push(str);
      if (value !== undefined) {
        predictions.push(value);
        break;
      }
    }
    if (predictions.length > 0) break;
  }
  if (fallbacks.length > 0) predictions.push(fallbacks[0] as string);
  return predictions;
}

// ---- verify ----

const FLOAT_ROUNDING = 6;

function structurallyEqual(a: Expr, b: Expr): boolean {
  return (
    JSON.stringify(a, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)) ===
    JSON.stringify(b, (_k, v) => (typeof v === "bigint" ? `${v}n` : v))
  );
}

const isAssignment = (e: Expr): boolean =>
  (e.k === "rel" && e.op === "==" && onlySymbols(e.lhs)) ||
  (e.k === "and" &&
    e.args.length > 0 &&
    e.args.every((a) => a.k === "rel" && a.op === "==") &&
    onlySymbols((e.args[0] as Extract<Expr, { k: "rel" }>).lhs));
const isEquation = (e: Expr): boolean =>
  (e.k === "rel" && e.op === "==") ||
  (e.k === "and" && e.args.length > 0 && e.args.every((a) => a.k === "rel" && a.op === "=="));

function onlySymbols(e: Expr): boolean {
  if (e.k === "sym") return true;
  if (e.k === "pow" && e.exp.k === "num" && e.exp.v.num === -1n && e.exp.v.den === 1n) return onlySymbols(e.base);
  if (e.k === "add" || e.k === "mul" || e.k === "tuple") return e.args.length > 0 && e.args.every(onlySymbols);
  return false;
}
const lastRel = (e: Expr): Extract<Expr, { k: "rel" }> =>
  e.k === "and" ? lastRel(e.args.at(-1) as Expr) : (e as Extract<Expr, { k: "rel" }>);
const firstRel = (e: Expr): Extract<Expr, { k: "rel" }> =>
  e.k === "and" ? (e.args[0] as Extract<Expr, { k: "rel" }>) : (e as Extract<Expr, { k: "rel" }>);

const isFloatish = (e: Expr) =>
  e.k === "float" ||
  (e.k === "mul" && e.args.length === 2 && e.args[0]?.k === "float" && isHundredth(e.args[1] as Expr));
const isNumberish = (e: Expr) =>
  e.k === "num" ||
  e.k === "float" ||
  (e.k === "mul" &&
    e.args.length === 2 &&
    (e.args[0]?.k === "num" || e.args[0]?.k === "float") &&
    isHundredth(e.args[1] as Expr));
const isHundredth = (e: Expr) => e.k === "num" && e.v.num === 1n && e.v.den === 100n;

function numericValue(e: Expr): number | undefined {
  if (e.k === "num" || e.k === "float") return rToNumber(e.v);
  if (e.k === "mul" && e.args.length === 2) {
    const a = numericValue(e.args[0] as Expr);
    const b = numericValue(e.args[1] as Expr);
    return a !== undefined && b !== undefined ? a * b : undefined;
  }
  return undefined;
}

/** Python's round-half-even to 6 places is what sympy's Float.round does; doubles differ only at exact ties. */
const round6 = (x: number) => Math.round(x * 10 ** FLOAT_ROUNDING) / 10 ** FLOAT_ROUNDING;

function numericEq(a: Expr, b: Expr): boolean {
  if (isNumberish(a) || isNumberish(b)) {
    if (isFloatish(a) || isFloatish(b)) {
      const x = numericValueDeep(a);
      const y = numericValueDeep(b);
      return x !== undefined && y !== undefined && round6(x) === round6(y);
    }
    return (
      simplifiesToZero(a, b, { realSymbols: true }).equal && freeSymbols(a).size === 0 && freeSymbols(b).size === 0
    );
  }
  return false;
}

function numericValueDeep(e: Expr): number | undefined {
  const v = numericValue(e);
  if (v !== undefined) return v;
  if (freeSymbols(e).size > 0) return undefined;
  try {
    const alg = simplifiesToZero(e, e); // validates the tree
    if (!alg.equal) return undefined;
  } catch {
    return undefined;
  }
  return evalReal(e);
}

function evalReal(e: Expr): number | undefined {
  switch (e.k) {
    case "num":
    case "float":
      return rToNumber(e.v);
    case "const":
      return e.name === "pi" ? Math.PI : e.name === "E" ? Math.E : undefined;
    case "add":
    case "mul": {
      const xs = e.args.map(evalReal);
      if (xs.some((x) => x === undefined)) return undefined;
      return (xs as number[]).reduce((p, x) => (e.k === "add" ? p + x : p * x), e.k === "add" ? 0 : 1);
    }
    case "pow": {
      const b = evalReal(e.base);
      const x = evalReal(e.exp);
      return b === undefined || x === undefined ? undefined : b ** x;
    }
    default:
      return undefined;
  }
}

function exprEq(gold: Expr, pred: Expr): boolean {
  let g = gold;
  let p = pred;
  const gAssign = isAssignment(g);
  const pAssign = isAssignment(p);
  const gEq = isEquation(g);
  const pEq = isEquation(p);
  if (gAssign) g = { k: "rel", op: "==", lhs: firstRel(g).lhs, rhs: lastRel(g).rhs };
  if (pAssign) p = { k: "rel", op: "==", lhs: firstRel(p).lhs, rhs: lastRel(p).rhs };
  if (pEq && !gEq) p = lastRel(p).rhs;
  else if (gAssign && !pEq) g = lastRel(g).rhs;
  if (structurallyEqual(g, p)) return true;
  if (isRelational(g) && isRelational(p)) return relationEq(g, p);
  const setLike = (e: Expr) =>
    e.k === "set" || e.k === "tuple" || e.k === "interval" || e.k === "union" || e.k === "named-set";
  if (setLike(g) || setLike(p)) return setsEq(g, p);
  if (g.k === "sym" || p.k === "sym") return symbolsEq(g, p);
  if (g.k === "rel" || g.k === "and" || p.k === "rel" || p.k === "and") return false;
  if (g.k === "matrix" || p.k === "matrix") {
    if (g.k !== "matrix" || p.k !== "matrix" || g.rows.length !== p.rows.length) return false;
    return g.rows.every(
      (r, i) => r.length === p.rows[i]?.length && r.every((x, j) => exprEq(x, p.rows[i]?.[j] as Expr)),
    );
  }
  if (numericEq(g, p)) return true;
  return simplifiesToZero(g, p, { realSymbols: true }).equal;
}

function relationEq(g: Expr, p: Expr): boolean {
  if (g.k === "and" && p.k === "and")
    return g.args.length === p.args.length && g.args.every((x, i) => relationEq(x, p.args[i] as Expr));
  if (g.k !== "rel" || p.k !== "rel") return false;
  const diff = (r: Extract<Expr, { k: "rel" }>, flip = false): Expr =>
    flip
      ? { k: "add", args: [r.rhs, { k: "mul", args: [num(-1), r.lhs] }] }
      : { k: "add", args: [r.lhs, { k: "mul", args: [num(-1), r.rhs] }] };
  if (g.op === p.op && exprEq(diff(g), diff(p))) return true;
  const inverse: Record<string, string> = { ">=": "<=", "<=": ">=", ">": "<", "<": ">", "==": "==" };
  if (inverse[g.op] === p.op && exprEq(diff(g), diff(p, true))) return true;
  return false;
}

function sortKey(e: Expr): number {
  const x = e.k === "rel" ? e.rhs : e;
  return evalReal(x) ?? Number.NaN;
}

function elementsEq(g: Expr[], p: Expr[], sortBoth: boolean): boolean {
  if (g.length !== p.length) return false;
  const order = (xs: Expr[]) =>
    [...xs].sort((a, b) => {
      const x = sortKey(a);
      const y = sortKey(b);
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) === Number.isNaN(y) ? 0 : Number.isNaN(x) ? 1 : -1;
      return x - y;
    });
  const gs = sortBoth ? order(g) : g;
  const ps = sortBoth ? order(p) : p;
  return gs.every((x, i) => exprEq(x, ps[i] as Expr));
}

function setsEq(gold: Expr, pred: Expr): boolean {
  const asSet = (e: Expr): Expr =>
    ["set", "tuple", "interval", "union", "named-set"].includes(e.k) ? e : { k: "set", args: [e] };
  const a = asSet(gold);
  const b = asSet(pred);
  if (a.k === "interval" && b.k === "interval")
    return a.lopen === b.lopen && a.ropen === b.ropen && exprEq(a.lo, b.lo) && exprEq(a.hi, b.hi);
  if (structurallyEqual(a, b)) return true;
  // sympy's FiniteSet drops repeated elements ({25/13, 25/13} is {25/13}); a Tuple keeps them.
  const seq = (e: Expr) => (e.k === "set" ? unique(e.args) : e.k === "tuple" ? e.args : undefined);
  const ga = seq(a);
  const pa = seq(b);
  if (ga && pa) {
    // FiniteSet vs FiniteSet: both sorted; Tuple gold vs set pred: the pred's written order; otherwise as given.
    if (a.k === "set") return elementsEq(ga, pa, true) || (b.k === "set" && setEqualUnordered(ga, pa));
    return elementsEq(ga, pa, false);
  }
  if (a.k === "interval" && pa && a.lopen && a.ropen && pa.length === 2) return elementsEq([a.lo, a.hi], pa, false);
  if (b.k === "interval" && ga && b.lopen && b.ropen && ga.length === 2) return elementsEq(ga, [b.lo, b.hi], false);
  return false;
}

function unique(xs: Expr[]): Expr[] {
  const out: Expr[] = [];
  for (const x of xs) if (!out.some((y) => structurallyEqual(x, y))) out.push(x);
  return out;
}

/** `a_set.symmetric_difference(b_set).is_empty` for finite sets of numbers sympy can compare. */
function setEqualUnordered(g: Expr[], p: Expr[]): boolean {
  const used = new Set<number>();
  return (
    g.length === p.length &&
    g.every((x) => {
      const j = p.findIndex((y, k) => !used.has(k) && simplifiesToZero(x, y, { realSymbols: true }).equal);
      if (j < 0) return false;
      used.add(j);
      return true;
    })
  );
}

function symbolsEq(g: Expr, p: Expr): boolean {
  const isE = (e: Expr) => e.k === "const" && e.name === "E";
  if (
    (g.k === "sym" && g.name.toLowerCase() === "e" && isE(p)) ||
    (p.k === "sym" && p.name.toLowerCase() === "e" && isE(g))
  )
    return true;
  const concat = (m: Expr) =>
    m.k === "mul" && m.args.every((x) => isE(x) || x.k === "sym")
      ? m.args.map((x) => (x.k === "sym" ? x.name : "e")).join("")
      : undefined;
  if (g.k === "sym" && p.k === "mul") {
    const c = concat(p);
    return c !== undefined && g.name.toLowerCase() === c.toLowerCase();
  }
  if (p.k === "sym" && g.k === "mul") {
    const c = concat(g);
    return c !== undefined && p.name.toLowerCase() === c.toLowerCase();
  }
  if (g.k === "sym" && p.k === "sym") {
    const n = (s: string) => (s.length > 1 ? s.toLowerCase() : s);
    return n(g.name) === n(p.name);
  }
  return false;
}

/** `math_verify.verify(gold, target)` with its defaults (float_rounding 6, strict). */
export function mathVerifyVerify(gold: Extracted[], target: Extracted[]): boolean {
  for (const g of gold)
    for (const t of target) {
      if (typeof g === "string" && typeof t === "string") {
        const a = g.trim();
        const b = t.trim();
        if (a.length > 0 && b.length > 0 && a === b) return true;
        continue;
      }
      if (typeof g === "string" || typeof t === "string") continue;
      if (g.k === "const" && (g.name === "nan" || g.name === "zoo")) continue;
      try {
        if (exprEq(g, t)) return true;
      } catch (e) {
        if (!(e instanceof MathDomainError || e instanceof LatexParseError || e instanceof RangeError)) throw e;
      }
    }
  return false;
}
