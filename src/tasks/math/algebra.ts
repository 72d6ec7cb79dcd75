/**
 * Deciding `sympy.simplify(a - b) == 0` for the answers MATH has, without sympy.
 *
 * Exact part: each side becomes a fraction of two polynomials with rational coefficients over "atoms": symbols,
 * `pi`, `E`, `I` (with I^2 = -1), prime radicals (sqrt(12) = 2*sqrt(3), 2^(1/3)*4^(1/3) = 2: each prime's exponent
 * kept in [0, 1), the integer part moved into the coefficient) and opaque atoms (function values such as
 * `sin(x)` or `log(2)`, powers of sums such as `sqrt(x+1)`, keyed by the normal form of their arguments). Sums
 * of distinct monomials in primes' fractional powers are linearly independent over Q, so without opaque atoms
 * this is a decision procedure: `a - b` is zero exactly when the cross-multiplied numerator is the zero
 * polynomial. Powers follow sympy's automatic rules: a non-integer power distributes over positive numbers but not
 * over symbols ((x^2)^(1/2) stays as it is, as sympy keeps it for a symbol not known to be positive).
 *
 * Numeric part, the documented rule for what this cannot decide: when opaque atoms take part and the exact form
 * is not zero (sympy's `simplify` may still prove `log(8) = 3 log(2)` or `sin(x)^2 + cos(x)^2 = 1`), both sides
 * are evaluated in complex double precision at three fixed pseudo-random points (symbols complex for sympy's
 * `parse_latex`, real for latex2sympy2's real symbols) and called equal when they agree to 1e-9 relative. That
 * errs towards "equal" where sympy's simplification is incomplete; `tools/math/sympy_equiv.py` measures how often.
 */
import {
  type Expr,
  MathDomainError,
  R0,
  R1,
  type Rational,
  radd,
  rat,
  rcmp,
  rdiv,
  req,
  rfloor,
  risInt,
  rmul,
  rneg,
  rstr,
  rsub,
  rToNumber,
} from "./expr.ts";

/** Thrown for trees outside the algebra (infinities, sets, relations): sympy's `a - b` fails or is not 0 there. */
export class Unsupported extends Error {}

type AtomKind = "sym" | "const" | "prime" | "I" | "opaque";
interface Atom {
  kind: AtomKind;
  /** For primes: the prime; for opaque atoms: the tree they stand for (numeric evaluation). */
  prime?: bigint;
  expr?: Expr;
}

type Mono = Map<string, Rational>;
interface Term {
  mono: Mono;
  coef: Rational;
}
type Poly = Map<string, Term>;
interface Frac {
  num: Poly;
  den: Poly;
}

const monoKey = (m: Mono) =>
  [...m.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, e]) => `${k}^${rstr(e)}`)
    .join("*");

class Algebra {
  atoms = new Map<string, Atom>();
  opaque = false;

  atom(key: string, a: Atom): Frac {
    if (!this.atoms.has(key)) this.atoms.set(key, a);
    if (a.kind === "opaque") this.opaque = true;
    return this.fromTerm({ mono: new Map([[key, R1]]), coef: R1 });
  }

  constant(c: Rational): Frac {
    return { num: c.num === 0n ? new Map() : new Map([["", { mono: new Map(), coef: c }]]), den: this.one() };
  }
  one(): Poly {
    return new Map([["", { mono: new Map(), coef: R1 }]]);
  }
  fromTerm(t: Term): Frac {
    return { num: this.polyOf([t]), den: this.one() };
  }

  /** Normalises a monomial: primes' exponents into [0, 1) and I's into {0, 1}, the rest into the coefficient. */
  normTerm(t: Term): Term {
    let coef = t.coef;
    const mono: Mono = new Map();
    for (const [k, e] of t.mono) {
      const a = this.atoms.get(k) as Atom;
      let ex = e;
      if (a.kind === "prime") {
        const f = rfloor(ex);
        if (f !== 0n) {
          const p = a.prime as bigint;
          const pf = f > 0n ? rat(p ** f) : rat(1n, p ** -f);
          coef = rmul(coef, pf);
          ex = rsub(ex, rat(f));
        }
      } else if (a.kind === "I" && risInt(ex)) {
        const m = Number(((ex.num % 4n) + 4n) % 4n);
        if (m >= 2) coef = rneg(coef);
        ex = rat(BigInt(m % 2));
      }
      if (ex.num !== 0n) mono.set(k, ex);
    }
    return { mono, coef };
  }

  polyOf(terms: Term[]): Poly {
    const p: Poly = new Map();
    for (const raw of terms) {
      const t = this.normTerm(raw);
      if (t.coef.num === 0n) continue;
      const k = monoKey(t.mono);
      const old = p.get(k);
      const c = old ? radd(old.coef, t.coef) : t.coef;
      if (c.num === 0n) p.delete(k);
      else p.set(k, { mono: t.mono, coef: c });
    }
    return p;
  }

  padd(a: Poly, b: Poly): Poly {
    return this.polyOf([...a.values(), ...b.values()]);
  }
  pneg(a: Poly): Poly {
    return new Map([...a].map(([k, t]) => [k, { mono: t.mono, coef: rneg(t.coef) }]));
  }
  pmul(a: Poly, b: Poly): Poly {
    const out: Term[] = [];
    for (const x of a.values())
      for (const y of b.values()) {
        const mono: Mono = new Map(x.mono);
        for (const [k, e] of y.mono) mono.set(k, radd(mono.get(k) ?? R0, e));
        out.push({ mono, coef: rmul(x.coef, y.coef) });
      }
    if (out.length > 20000) throw new Unsupported("expression too large");
    return this.polyOf(out);
  }

  fadd(a: Frac, b: Frac): Frac {
    if (polyIsOne(a.den) && polyIsOne(b.den)) return { num: this.padd(a.num, b.num), den: a.den };
    return { num: this.padd(this.pmul(a.num, b.den), this.pmul(b.num, a.den)), den: this.pmul(a.den, b.den) };
  }
  fmul(a: Frac, b: Frac): Frac {
    return { num: this.pmul(a.num, b.num), den: this.pmul(a.den, b.den) };
  }
  finv(a: Frac): Frac {
    if (a.num.size === 0) throw new Unsupported("division by zero (zoo)");
    // A monomial denominator moves into the numerator as negative exponents (keeps forms small).
    if (a.num.size === 1) {
      const t = [...a.num.values()][0] as Term;
      const inv = this.invTerm(t);
      if (inv) return { num: this.pmul(a.den, this.polyOf([inv])), den: this.one() };
    }
    return { num: a.den, den: a.num };
  }
  invTerm(t: Term): Term | undefined {
    const mono: Mono = new Map();
    let coef = rdiv(R1, t.coef);
    for (const [k, e] of t.mono) {
      const a = this.atoms.get(k) as Atom;
      if (a.kind === "I") coef = rneg(coef); // 1/I = -I
      mono.set(k, a.kind === "I" ? e : rneg(e));
    }
    return { mono, coef };
  }

  fpowInt(a: Frac, n: bigint): Frac {
    if (n < 0n) return this.fpowInt(this.finv(a), -n);
    // A single term (2^2005, 7z^96) raises its coefficient and exponents directly.
    if (a.num.size <= 1 && polyIsOne(a.den) && n <= 100000n) {
      const t = [...a.num.values()][0];
      if (!t) return this.constant(R0);
      const bits = (x: bigint) => (x < 0n ? -x : x).toString(2).length;
      if ((bits(t.coef.num) + bits(t.coef.den)) * Number(n) > 400000) throw new Unsupported("huge number");
      const big = t.coef.num ** n;
      const mono: Mono = new Map([...t.mono].map(([k, e]) => [k, rmul(e, rat(n))]));
      return { num: this.polyOf([{ mono, coef: rat(big, t.coef.den ** n) }]), den: this.one() };
    }
    if (n > 64n) throw new Unsupported("large exponent");
    let r: Frac = this.constant(R1);
    for (let i = 0n; i < n; i++) r = this.fmul(r, a);
    return r;
  }

  /** The rational value of a constant fraction, or undefined. */
  constantValue(a: Frac): Rational | undefined {
    const c = (p: Poly): Rational | undefined => {
      if (p.size === 0) return R0;
      if (p.size !== 1) return undefined;
      const t = [...p.values()][0] as Term;
      return t.mono.size === 0 ? t.coef : undefined;
    };
    const n = c(a.num);
    const d = c(a.den);
    return n !== undefined && d !== undefined && d.num !== 0n ? rdiv(n, d) : undefined;
  }

  key(a: Frac): string {
    const pk = (p: Poly) =>
      [...p.entries()]
        .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
        .map(([k, t]) => `${rstr(t.coef)}${k ? `*${k}` : ""}`)
        .join("+");
    return polyIsOne(a.den) ? pk(a.num) : `(${pk(a.num)})/(${pk(a.den)})`;
  }

  /** Positive rational c to the rational power q, as radicals of primes. */
  ratPow(c: Rational, q: Rational): Frac {
    let r = this.constant(R1);
    for (const [n, sign] of [
      [c.num, 1n],
      [c.den, -1n],
    ] as const) {
      for (const [p, m] of factorize(n)) {
        const e = rmul(q, rat(m * sign));
        r = this.fmul(r, this.primePow(p, e));
      }
    }
    return r;
  }
  primePow(p: bigint, e: Rational): Frac {
    this.atoms.set(`#${p}`, { kind: "prime", prime: p });
    return this.fromTerm({ mono: new Map([[`#${p}`, e]]), coef: R1 });
  }

  pow(base: Frac, exp: Frac, tree: Expr): Frac {
    const q = this.constantValue(exp);
    if (q === undefined) return this.opaqueOf(tree, `pow(${this.key(base)},${this.key(exp)})`);
    if (risInt(q)) return this.fpowInt(base, q.num);
    const bv = this.constantValue(base);
    if (bv !== undefined) {
      if (bv.num === 0n) return rcmp(q, R0) > 0 ? this.constant(R0) : this.opaqueOf(tree, "zoo");
      if (bv.num > 0n) return this.ratPow(bv, q);
      // (-c)^q = c^q * (-1)^q: (-1)^(k/2) is I^k; other roots of -1 stay opaque (sympy keeps (-1)^(1/3)).
      const mag = this.ratPow(rneg(bv), q);
      const twice = rmul(q, rat(2n));
      if (risInt(twice)) {
        this.atoms.set("I", { kind: "I" });
        return this.fmul(mag, this.fromTerm({ mono: new Map([["I", rat(twice.num)]]), coef: R1 }));
      }
      return this.fmul(mag, this.opaqueOf({ k: "pow", base: { k: "num", v: rat(-1n) }, exp: tree }, `(-1)^${rstr(q)}`));
    }
    // A single term over 1: positive parts (numbers, primes, pi, E) take the power; one remaining atom with an
    // exponent in (-1, 1] combines as sympy's Pow does ((x^(1/2))^(1/2) = x^(1/4), (x^2)^(1/2) stays).
    if (base.num.size === 1 && polyIsOne(base.den)) {
      const t = [...base.num.values()][0] as Term;
      let out = t.coef.num > 0n ? this.ratPow(t.coef, q) : undefined;
      const rest: Array<[string, Rational]> = [];
      for (const [k, e] of t.mono) {
        const a = this.atoms.get(k) as Atom;
        if (out && (a.kind === "prime" || a.kind === "const")) {
          out = this.fmul(out, this.fromTerm({ mono: new Map([[k, rmul(e, q)]]), coef: R1 }));
        } else rest.push([k, e]);
      }
      if (out && rest.length === 0) return out;
      if (out && rest.length === 1) {
        const [k, e] = rest[0] as [string, Rational];
        const a = this.atoms.get(k) as Atom;
        if (a.kind !== "I" && rcmp(e, rat(-1n)) > 0 && rcmp(e, R1) <= 0)
          return this.fmul(out, this.fromTerm({ mono: new Map([[k, rmul(e, q)]]), coef: R1 }));
      }
    }
    return this.opaqueOf(tree, `pow(${this.key(base)},${rstr(q)})`);
  }

  opaqueOf(tree: Expr, key: string): Frac {
    return this.atom(`@${key}`, { kind: "opaque", expr: tree });
  }

  frac(e: Expr): Frac {
    switch (e.k) {
      case "num":
      case "float":
        return this.constant(e.v);
      case "sym":
        return this.atom(`s:${e.name}${e.nonreal ? "!" : ""}`, { kind: "sym" });
      case "const":
        if (e.name === "I") {
          this.atoms.set("I", { kind: "I" });
          return this.fromTerm({ mono: new Map([["I", R1]]), coef: R1 });
        }
        if (e.name === "pi" || e.name === "E") return this.atom(`c:${e.name}`, { kind: "const" });
        throw new Unsupported(e.name);
      case "add":
        return e.args.map((a) => this.frac(a)).reduce((x, y) => this.fadd(x, y), this.constant(R0));
      case "mul":
        return e.args.map((a) => this.frac(a)).reduce((x, y) => this.fmul(x, y), this.constant(R1));
      case "pow": {
        const b = this.frac(e.base);
        if (e.base.k === "const" && e.base.name === "E") {
          const x = this.frac(e.exp);
          const q = this.constantValue(x);
          if (q !== undefined && risInt(q)) return this.fpowInt(b, q.num);
          return this.opaqueOf(e, `exp(${this.key(x)})`);
        }
        return this.pow(b, this.frac(e.exp), e);
      }
      case "fn":
        return this.func(e);
      default:
        throw new Unsupported(e.k);
    }
  }

  func(e: Extract<Expr, { k: "fn" }>): Frac {
    const args = e.args.map((a) => this.frac(a));
    const vals = args.map((a) => this.constantValue(a));
    const v0 = vals[0];
    if (!e.undefinedFn) {
      if (e.name === "exp" && args[0]) {
        const x = args[0];
        const q = this.constantValue(x);
        if (q !== undefined && risInt(q)) return this.fpowInt(this.atom("c:E", { kind: "const" }), q.num);
        return this.opaqueOf(
          { k: "pow", base: { k: "const", name: "E" }, exp: e.args[0] as Expr },
          `exp(${this.key(x)})`,
        );
      }
      if (v0 !== undefined) {
        if (e.name === "abs") return this.constant(v0.num < 0n ? rneg(v0) : v0);
        if (e.name === "floor") return this.constant(rat(rfloor(v0)));
        if (e.name === "ceiling") return this.constant(rat(-rfloor(rneg(v0))));
        if (e.name === "factorial" && risInt(v0) && v0.num >= 0n && v0.num <= 200n) {
          let f = 1n;
          for (let i = 2n; i <= v0.num; i++) f *= i;
          return this.constant(rat(f));
        }
        if (e.name === "binomial" && vals[1] !== undefined && risInt(v0) && risInt(vals[1])) {
          const n = v0.num;
          const k = (vals[1] as Rational).num;
          if (k < 0n || n < 0n || k > n) return this.constant(R0);
          let r = 1n;
          for (let i = 0n; i < k; i++) r = (r * (n - i)) / (i + 1n);
          return this.constant(rat(r));
        }
        if (v0.num === 0n && ["sin", "tan", "asin", "atan", "sinh", "tanh"].includes(e.name)) return this.constant(R0);
        if (v0.num === 0n && ["cos", "cosh"].includes(e.name)) return this.constant(R1);
        if (e.name === "log" && req(v0, R1)) return this.constant(R0);
      }
    }
    return this.opaqueOf(e, `${e.undefinedFn ? "F" : ""}${e.name}(${args.map((a) => this.key(a)).join(",")})`);
  }
}

function polyIsOne(p: Poly): boolean {
  if (p.size !== 1) return false;
  const t = p.get("");
  return t !== undefined && req(t.coef, R1);
}

/** Prime factorisation by trial division (answers are small); a large cofactor stays one "prime". */
function factorize(n: bigint): Array<[bigint, bigint]> {
  const out: Array<[bigint, bigint]> = [];
  let m = n < 0n ? -n : n;
  for (let p = 2n; p * p <= m && p < 100000n; p += p === 2n ? 1n : 2n) {
    let k = 0n;
    while (m % p === 0n) {
      m /= p;
      k++;
    }
    if (k) out.push([p, k]);
  }
  if (m > 1n) out.push([m, 1n]);
  return out;
}

// ---- numeric evaluation (complex double precision) ----

type C = [number, number];
const cadd = (a: C, b: C): C => [a[0] + b[0], a[1] + b[1]];
const cmul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const cdiv = (a: C, b: C): C => {
  const d = b[0] * b[0] + b[1] * b[1];
  return [(a[0] * b[0] + a[1] * b[1]) / d, (a[1] * b[0] - a[0] * b[1]) / d];
};
const cexp = (a: C): C => [Math.exp(a[0]) * Math.cos(a[1]), Math.exp(a[0]) * Math.sin(a[1])];
const clog = (a: C): C => [Math.log(Math.hypot(a[0], a[1])), Math.atan2(a[1], a[0])];
const cpow = (a: C, b: C): C => {
  if (b[1] === 0 && Number.isInteger(b[0]) && Math.abs(b[0]) <= 64) {
    let r: C = [1, 0];
    for (let i = 0; i < Math.abs(b[0]); i++) r = cmul(r, a);
    return b[0] < 0 ? cdiv([1, 0], r) : r;
  }
  if (a[0] === 0 && a[1] === 0) return [0, 0];
  return cexp(cmul(b, clog(a)));
};
const csin = (a: C): C => [Math.sin(a[0]) * Math.cosh(a[1]), Math.cos(a[0]) * Math.sinh(a[1])];
const ccos = (a: C): C => [Math.cos(a[0]) * Math.cosh(a[1]), -Math.sin(a[0]) * Math.sinh(a[1])];
const I: C = [0, 1];
const csqrt = (a: C): C => cpow(a, [0.5, 0]);
const casin = (z: C): C => cmul([0, -1], clog(cadd(cmul(I, z), csqrt(cadd([1, 0], cmul([-1, 0], cmul(z, z)))))));
const cacos = (z: C): C => cadd([Math.PI / 2, 0], cmul([-1, 0], casin(z)));
const catan = (z: C): C => cmul([0, 0.5], clog(cdiv(cadd(I, z), cadd(I, cmul([-1, 0], z)))));

function gamma(x: number): number {
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  let a = c[0] as number;
  const t = x - 1 + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += (c[i] as number) / (x - 1 + i);
  return Math.sqrt(2 * Math.PI) * t ** (x - 0.5) * Math.exp(-t) * a;
}

export function evalComplex(e: Expr, env: Map<string, C>): C {
  const ev = (x: Expr) => evalComplex(x, env);
  switch (e.k) {
    case "num":
    case "float":
      return [rToNumber(e.v), 0];
    case "sym": {
      const v = env.get(symKey(e));
      if (!v) throw new Unsupported("unbound");
      return v;
    }
    case "const":
      if (e.name === "pi") return [Math.PI, 0];
      if (e.name === "E") return [Math.E, 0];
      if (e.name === "I") return I;
      throw new Unsupported(e.name);
    case "add":
      return e.args.map(ev).reduce(cadd, [0, 0]);
    case "mul":
      return e.args.map(ev).reduce(cmul, [1, 0]);
    case "pow":
      return cpow(ev(e.base), ev(e.exp));
    case "fn": {
      const a = e.args.map(ev);
      const x = a[0] ?? [Number.NaN, 0];
      const real = (f: (v: number) => number): C => {
        if (Math.abs(x[1]) > 1e-12) throw new Unsupported("complex argument");
        return [f(x[0]), 0];
      };
      if (e.undefinedFn) throw new Unsupported("undefined function");
      switch (e.name) {
        case "sin":
          return csin(x);
        case "cos":
          return ccos(x);
        case "tan":
          return cdiv(csin(x), ccos(x));
        case "cot":
          return cdiv(ccos(x), csin(x));
        case "sec":
          return cdiv([1, 0], ccos(x));
        case "csc":
          return cdiv([1, 0], csin(x));
        case "asin":
          return casin(x);
        case "acos":
          return cacos(x);
        case "atan":
          return catan(x);
        case "sinh":
          return cmul([0.5, 0], cadd(cexp(x), cmul([-1, 0], cexp(cmul([-1, 0], x)))));
        case "cosh":
          return cmul([0.5, 0], cadd(cexp(x), cexp(cmul([-1, 0], x))));
        case "exp":
          return cexp(x);
        case "log":
          return a[1] ? cdiv(clog(x), clog(a[1])) : clog(x);
        case "abs":
          return [Math.hypot(x[0], x[1]), 0];
        case "floor":
          return real(Math.floor);
        case "ceiling":
          return real(Math.ceil);
        case "factorial":
          return real((v) => gamma(v + 1));
        case "binomial": {
          const k = a[1] ?? [Number.NaN, 0];
          if (Math.abs(x[1]) > 1e-12 || Math.abs(k[1]) > 1e-12) throw new Unsupported("complex argument");
          return [gamma(x[0] + 1) / (gamma(k[0] + 1) * gamma(x[0] - k[0] + 1)), 0];
        }
        case "gamma":
          return real(gamma);
        case "conjugate":
          return [x[0], -x[1]];
        default:
          throw new Unsupported(`function ${e.name}`);
      }
    }
    default:
      throw new Unsupported(e.k);
  }
}

const symKey = (e: Extract<Expr, { k: "sym" }>) => `${e.name}${e.nonreal ? "!" : ""}`;

/** Fixed sample points: the same inputs always give the same verdict. */
const SAMPLES: Array<(i: number) => C> = [
  (i) => [0.5 + 0.37 * ((i * 7919) % 11) * 0.1, 0.31 + 0.07 * i],
  (i) => [-1.3 - 0.21 * ((i * 104729) % 13) * 0.1, -0.23 + 0.05 * i],
  (i) => [0.77 + 0.13 * ((i * 31) % 17) * 0.1, 0.17 - 0.03 * i],
];

function numericallyEqual(a: Expr, b: Expr, realSymbols: boolean): boolean {
  const names = [...new Set([...symbolsOf(a), ...symbolsOf(b)])].sort();
  for (const sample of SAMPLES) {
    const env = new Map<string, C>(
      names.map((n, i) => {
        const [re, im] = sample(i + 1);
        return [n, realSymbols ? [re * (i % 2 ? -1 : 1), 0] : [re, im]];
      }),
    );
    let x: C;
    let y: C;
    try {
      x = evalComplex(a, env);
      y = evalComplex(b, env);
    } catch (err) {
      if (err instanceof Unsupported) return false;
      throw err;
    }
    const scale = Math.max(1, Math.hypot(...x), Math.hypot(...y));
    const d = Math.hypot(x[0] - y[0], x[1] - y[1]);
    if (!Number.isFinite(d) || d > 1e-9 * scale) return false;
  }
  return true;
}

function symbolsOf(e: Expr, out: string[] = []): string[] {
  if (e.k === "sym") out.push(symKey(e));
  const kids = e.k === "add" || e.k === "mul" || e.k === "fn" ? e.args : e.k === "pow" ? [e.base, e.exp] : [];
  for (const k of kids) symbolsOf(k, out);
  return out;
}

export interface EquivOptions {
  /** latex2sympy2 makes real symbols (Math-Verify); sympy's parse_latex makes complex ones. */
  realSymbols?: boolean;
}

/** How the verdict was reached (for measurements). */
export type EquivMethod = "exact" | "numeric" | "unsupported";

/** `sympy.simplify(a - b) == 0` (see the module comment for the rule where it cannot be decided exactly). */
export function simplifiesToZero(a: Expr, b: Expr, opts: EquivOptions = {}): { equal: boolean; method: EquivMethod } {
  const alg = new Algebra();
  let diffIsZero: boolean;
  try {
    const fa = alg.frac(a);
    const fb = alg.frac(b);
    diffIsZero = alg.padd(alg.pmul(fa.num, fb.den), alg.pneg(alg.pmul(fb.num, fa.den))).size === 0;
  } catch (err) {
    if (err instanceof Unsupported || err instanceof MathDomainError) return { equal: false, method: "unsupported" };
    throw err;
  }
  if (diffIsZero) return { equal: true, method: "exact" };
  if (!alg.opaque) return { equal: false, method: "exact" };
  return { equal: numericallyEqual(a, b, opts.realSymbols ?? false), method: "numeric" };
}

/** The exact rational value of a tree when it has one (no symbols, no irrationals). */
export function rationalValue(e: Expr): Rational | undefined {
  const alg = new Algebra();
  try {
    return alg.constantValue(alg.frac(e));
  } catch (err) {
    if (err instanceof Unsupported || err instanceof MathDomainError) return undefined;
    throw err;
  }
}
