/**
 * The expression tree the LaTeX parsers build (`latex-parse.ts`), the shape of the sympy objects that sympy's
 * `parse_latex` and latex2sympy2_extended return: numbers (exact rationals and decimal `Float`s), symbols, the
 * constants sympy names (`pi`, `E`, `I`, `oo`), sums, products, powers, function applications, and for
 * Math-Verify's answers relations, finite sets, tuples and intervals. `toSympy` prints a tree in sympy's own
 * syntax so that a test can ask real sympy about it (`tools/math/sympy_equiv.py`).
 */

export interface Rational {
  num: bigint;
  den: bigint;
}

export type RelOp = "==" | "!=" | "<" | "<=" | ">" | ">=";

export type Expr =
  | { k: "num"; v: Rational }
  /** A decimal literal: sympy's `Float`, kept with the exact value of its digits. */
  | { k: "float"; v: Rational; text: string }
  /** `nonreal`: latex2sympy2's `Symbol(name, real=False)` (Math-Verify's "looks complex" texts), another symbol than the real one. */
  | { k: "sym"; name: string; nonreal?: boolean }
  | { k: "const"; name: "pi" | "E" | "I" | "oo" | "-oo" | "zoo" | "nan" }
  | { k: "add"; args: Expr[] }
  | { k: "mul"; args: Expr[] }
  | { k: "pow"; base: Expr; exp: Expr }
  /** sin, cos, ..., log (args: value, base), exp, Abs, floor, ceiling, factorial, binomial, conjugate, or an undefined function. */
  | { k: "fn"; name: string; args: Expr[]; undefinedFn?: boolean }
  | { k: "rel"; op: RelOp; lhs: Expr; rhs: Expr }
  | { k: "and"; args: Expr[] }
  | { k: "set"; args: Expr[] }
  | { k: "tuple"; args: Expr[] }
  | { k: "interval"; lo: Expr; hi: Expr; lopen: boolean; ropen: boolean }
  | { k: "union"; args: Expr[] }
  | { k: "named-set"; name: "Reals" | "Integers" | "Naturals" | "Rationals" | "Complexes" | "EmptySet" | "Primes" }
  | { k: "matrix"; rows: Expr[][] };

// ---- exact rationals ----

export function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y) [x, y] = [y, x % y];
  return x;
}

export class MathDomainError extends Error {}

export function rat(num: bigint, den = 1n): Rational {
  if (den === 0n) throw new MathDomainError("division by zero");
  const g = gcd(num, den) || 1n;
  const s = den < 0n ? -1n : 1n;
  return { num: (s * num) / g, den: (s * den) / g };
}

export const R0 = rat(0n);
export const R1 = rat(1n);
export const radd = (a: Rational, b: Rational) => rat(a.num * b.den + b.num * a.den, a.den * b.den);
export const rsub = (a: Rational, b: Rational) => rat(a.num * b.den - b.num * a.den, a.den * b.den);
export const rmul = (a: Rational, b: Rational) => rat(a.num * b.num, a.den * b.den);
export const rdiv = (a: Rational, b: Rational) => rat(a.num * b.den, a.den * b.num);
export const req = (a: Rational, b: Rational) => a.num === b.num && a.den === b.den;
export const risInt = (a: Rational) => a.den === 1n;
export const rneg = (a: Rational) => rat(-a.num, a.den);
export const rcmp = (a: Rational, b: Rational) => {
  const d = a.num * b.den - b.num * a.den;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
};
export const rToNumber = (a: Rational) => Number(a.num) / Number(a.den);
/** floor(a) as a bigint. */
export function rfloor(a: Rational): bigint {
  const q = a.num / a.den;
  return a.num < 0n && q * a.den !== a.num ? q - 1n : q;
}
export const rstr = (a: Rational) => (a.den === 1n ? `${a.num}` : `${a.num}/${a.den}`);

/** The exact value of a decimal literal such as `12.50` or `.5` (digits only, optional point). */
export function parseDecimal(text: string): Rational {
  const [int = "", frac = ""] = text.split(".");
  return rat(BigInt(`${int || "0"}${frac}` || "0"), 10n ** BigInt(frac.length));
}

// ---- constructors ----

export const num = (n: bigint | number, d: bigint | number = 1n): Expr => ({ k: "num", v: rat(BigInt(n), BigInt(d)) });
export const sym = (name: string): Expr => ({ k: "sym", name });
export const add = (...args: Expr[]): Expr => ({ k: "add", args });
export const mul = (...args: Expr[]): Expr => ({ k: "mul", args });
export const pow = (base: Expr, exp: Expr): Expr => ({ k: "pow", base, exp });
export const fn = (name: string, ...args: Expr[]): Expr => ({ k: "fn", name, args });
export const neg = (e: Expr): Expr =>
  e.k === "num"
    ? { k: "num", v: rneg(e.v) }
    : e.k === "float"
      ? { ...e, v: rneg(e.v), text: e.text.startsWith("-") ? e.text.slice(1) : `-${e.text}` }
      : mul(num(-1), e);

export const isNumber = (e: Expr): e is Extract<Expr, { k: "num" | "float" }> => e.k === "num" || e.k === "float";
export const isRelational = (e: Expr) => e.k === "rel" || (e.k === "and" && e.args.every((a) => a.k === "rel"));

/** Every symbol name in a tree. */
export function freeSymbols(e: Expr, out = new Set<string>()): Set<string> {
  if (e.k === "sym") out.add(e.name);
  for (const c of children(e)) freeSymbols(c, out);
  return out;
}

export function children(e: Expr): Expr[] {
  switch (e.k) {
    case "add":
    case "mul":
    case "fn":
    case "and":
    case "set":
    case "tuple":
    case "union":
      return e.args;
    case "pow":
      return [e.base, e.exp];
    case "rel":
      return [e.lhs, e.rhs];
    case "interval":
      return [e.lo, e.hi];
    case "matrix":
      return e.rows.flat();
    default:
      return [];
  }
}

/** A tree in sympy's syntax (`sympify` reads it back; symbols become `Symbol('name')`). */
export function toSympy(e: Expr): string {
  const p = toSympy;
  switch (e.k) {
    case "num":
      return e.v.den === 1n ? `Integer(${e.v.num})` : `Rational(${e.v.num},${e.v.den})`;
    case "float":
      return `Float('${e.text}')`;
    case "sym":
      return `Symbol(${JSON.stringify(e.name)})`;
    case "const":
      return { pi: "pi", E: "E", I: "I", oo: "oo", "-oo": "-oo", zoo: "zoo", nan: "nan" }[e.name];
    case "add":
      return `Add(${e.args.map(p).join(",")})`;
    case "mul":
      return `Mul(${e.args.map(p).join(",")})`;
    case "pow":
      return `Pow(${p(e.base)},${p(e.exp)})`;
    case "fn": {
      const name = e.undefinedFn ? `Function(${JSON.stringify(e.name)})` : (SYMPY_FN[e.name] ?? e.name);
      return `${name}(${e.args.map(p).join(",")})`;
    }
    case "rel":
      return `${{ "==": "Eq", "!=": "Ne", "<": "Lt", "<=": "Le", ">": "Gt", ">=": "Ge" }[e.op]}(${p(e.lhs)},${p(e.rhs)})`;
    case "and":
      return `And(${e.args.map(p).join(",")})`;
    case "set":
      return `FiniteSet(${e.args.map(p).join(",")})`;
    case "tuple":
      return `Tuple(${e.args.map(p).join(",")})`;
    case "interval":
      return `Interval(${p(e.lo)},${p(e.hi)},${e.lopen ? "True" : "False"},${e.ropen ? "True" : "False"})`;
    case "union":
      return `Union(${e.args.map(p).join(",")})`;
    case "named-set":
      return `S.${e.name}`;
    case "matrix":
      return `Matrix([${e.rows.map((r) => `[${r.map(p).join(",")}]`).join(",")}])`;
  }
}

const SYMPY_FN: Record<string, string> = { abs: "Abs", floor: "floor", ceiling: "ceiling" };
