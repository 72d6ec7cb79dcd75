/**
 * LaTeX answers to expression trees, in two dialects that differ where verdicts change:
 * - `sympy`: sympy's `parse_latex` (ANTLR grammar `sympy/parsing/latex/LaTeX.g4`, what lm-eval's `is_equiv` uses).
 *   Its quirks: `\pi`, `e` and `i` are plain symbols; a letter before `(` is a function (`x(x+1)` is `x` applied
 *   to `x+1`); digits separated by spaces join (`1 2` is 12); `1,000` is a number; `:` divides; `\log` is the
 *   natural logarithm; the start rule has no EOF, so the parse keeps the longest valid prefix (`1,2` is 1, `1+`
 *   is 1); a character the lexer does not know (`%`, `$`, `\%`) fails the whole parse.
 * - `l2s`: latex2sympy2_extended 1.10.2's `PS.g4`, what Math-Verify parses with: `\pi` and `e` are the constants,
 *   symbols are lower-cased (and real unless the text looks complex), `\text{..}` is one symbol, `2\frac12` is a
 *   mixed number, `50\%` is 1/2, `^\circ` is dropped, and the whole input must parse: sets, tuples, intervals,
 *   `\pm`, relations chained into `And`, `x = ...` assignments.
 * Both parse by recursive descent with backtracking where ANTLR's prediction would exit a loop.
 */
import { type Expr, MathDomainError, neg, num, parseDecimal, type RelOp, rat } from "./expr.ts";

export type Dialect = "sympy" | "l2s";

export class LatexParseError extends Error {}

interface Tok {
  t: string;
  v: string;
}

const SYMPY_SKIP = new Set([
  "\\,",
  "\\thinspace",
  "\\:",
  "\\medspace",
  "\\;",
  "\\thickspace",
  "\\quad",
  "\\qquad",
  "\\!",
  "\\negthinspace",
  "\\negmedspace",
  "\\negthickspace",
  "\\left",
  "\\right",
  "\\vrule",
  "\\vcenter",
  "\\vbox",
  "\\vskip",
  "\\vspace",
  "\\hfil",
  "\\*",
  "\\-",
  "\\.",
  "\\/",
  '\\"',
  "\\(",
  "\\=",
]);
const L2S_SKIP = new Set([
  "\\,",
  "\\thinspace",
  "\\:",
  "\\medspace",
  "\\;",
  "\\thickspace",
  "\\quad",
  "\\qquad",
  "\\!",
  "\\negthinspace",
  "\\negmedspace",
  "\\negthickspace",
  "\\$",
  "\\vrule",
  "\\vcenter",
  "\\vbox",
  "\\vskip",
  "\\vspace",
  "\\hfil",
]);

const FUNCS = new Set([
  "exp",
  "log",
  "lg",
  "ln",
  "sin",
  "cos",
  "tan",
  "csc",
  "sec",
  "cot",
  "arcsin",
  "arccos",
  "arctan",
  "arccsc",
  "arcsec",
  "arccot",
  "sinh",
  "cosh",
  "tanh",
  "arsinh",
  "arcosh",
  "artanh",
]);
const L2S_FUNCS = new Set([...FUNCS, "arcsinh", "arccosh", "arctanh", "floor", "ceil", "det"]);
L2S_FUNCS.delete("lg");
const L2S_MULTI = new Set(["gcd", "lcm", "max", "min"]);

const GREEK =
  "alpha beta gamma Gamma delta Delta epsilon varepsilon zeta eta theta Theta vartheta iota kappa lambda Lambda mu nu xi Xi omicron pi Pi varpi rho varrho sigma Sigma varsigma tau upsilon Upsilon phi Phi varphi chi psi Psi omega Omega".split(
    " ",
  );
const OTHER_SYMBOLS =
  "Bbbk wp nabla bigstar angle nexists diagdown measuredangle eth diagup sphericalangle clubsuit varnothing Diamond complement diamondsuit imath Finv triangledown heartsuit jmath Game triangle spadesuit ell hbar vartriangle hslash blacklozenge lozenge blacksquare mho blacktriangle sharp prime Im flat square backprime Re natural surd circledS".split(
    " ",
  );
const ACCENTS =
  "acute bar overline breve check widecheck dot ddot grave hat tilde widetilde vec overrightarrow bm boldsymbol text textit textbf textnormal mathbb mathbin mathbf mathcal mathclap mathclose mathellipsis mathfrak mathinner mathit mathnormal mathop mathopen mathord mathpunct mathrel mathring mathrlap mathrm mathscr mathsf mathsterling mathtt mbox".split(
    " ",
  );
/** Bare-letter tokens of PS.g4 that the lexer prefers over single letters (longest match). */
const L2S_WORDS = [
  "arsinh",
  "arcsinh",
  "arcosh",
  "arccosh",
  "artanh",
  "arctanh",
  "gcd",
  "lcm",
  "floor",
  "ceil",
  "eye",
  "zeros",
  "ones",
  "cols",
  "rows",
  "diag",
  "norm",
  "rank",
  "trace",
  "tr",
  "rref",
  "hstack",
  "vstack",
  "orthogonalize",
  "orthogonal",
  "ortho",
  "orth",
  "nullspace",
  "eigenvalues",
  "eigenvals",
  "eigenvectors",
  "eigenvects",
  "eigen",
  "eig",
  "diagonalize",
  "svd",
  "SVD",
  "pmatrix",
  "bmatrix",
  "vmatrix",
  "matrix",
];

const REL_TOKENS: Record<string, RelOp> = {
  "=": "==",
  "<": "<",
  ">": ">",
  "\\le": "<=",
  "\\leq": "<=",
  "\\leqslant": "<=",
  "\\leqq": "<=",
  "\\ge": ">=",
  "\\geq": ">=",
  "\\geqslant": ">=",
  "\\geqq": ">=",
  "\\neq": "!=",
};

function lex(s: string, d: Dialect): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const fail = () => {
    throw new LatexParseError(`unexpected character at ${i}: ${s.slice(i, i + 10)}`);
  };
  while (i < s.length) {
    const c = s[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "\\") {
      const m = /^\\([a-zA-Z]+|.)/s.exec(s.slice(i));
      if (!m) fail();
      const cmd = (m as RegExpExecArray)[0];
      const name = (m as RegExpExecArray)[1] as string;
      if (d === "l2s") {
        const rest = s.slice(i);
        const env = /^\\(begin|end)\{(matrix|pmatrix|bmatrix|vmatrix|array)\}(\{[clr]*\})?/.exec(rest);
        if (env) {
          out.push({ t: env[1] === "begin" ? "begin" : "end", v: env[2] as string });
          i += env[0].length;
          continue;
        }
        if (ACCENTS.includes(name)) {
          const a = /^\\[a-zA-Z]+\s?\{((?:\\\}|[^}])*?)\}/.exec(rest);
          if (a) {
            out.push({ t: "accent", v: `${name}\u0000${a[1]}` });
            i += a[0].length;
            continue;
          }
        }
        const mb = /^\\mathbb\{([NZQRCP])\}/.exec(rest);
        if (mb) {
          out.push({ t: "namedset", v: mb[1] as string });
          i += mb[0].length;
          continue;
        }
        if (name === "%") {
          out.push({ t: "%", v: "%" });
          i += 2;
          continue;
        }
        if (name === "\\") {
          out.push({ t: "rowsep", v: "\\\\" });
          i += 2;
          continue;
        }
        if (cmd === "\\infty" && s.slice(i + 6, i + 8) === "\\%") {
          out.push({ t: "cmd", v: "\\infty" });
          i += 8;
          continue;
        }
      }
      if (d === "sympy" && (cmd === "\\right|" || cmd === "\\left|")) fail();
      i += cmd.length;
      if ((d === "sympy" ? SYMPY_SKIP : L2S_SKIP).has(cmd)) continue;
      if (d === "l2s" && (cmd === "\\left" || cmd === "\\right")) continue; // normalisation removed them
      if (/^\\[a-zA-Z]/.test(cmd)) {
        // GREEK_CMD / OTHER_SYMBOL_CMD swallow one following space in l2s (no effect here).
        out.push({ t: "cmd", v: cmd });
        continue;
      }
      if (cmd === "\\{" || cmd === "\\}") {
        out.push({ t: cmd, v: cmd });
        continue;
      }
      if (d === "l2s" && (cmd === "\\(" || cmd === "\\)" || cmd === "\\|")) {
        out.push({ t: cmd, v: cmd });
        continue;
      }
      i -= cmd.length;
      fail();
    }
    if (/[0-9]/.test(c) || (d === "l2s" && c === "." && /[0-9]/.test(s[i + 1] ?? ""))) {
      if (d === "sympy") {
        out.push({ t: "digit", v: c });
        i++;
        continue;
      }
      const m = /^(?:[0-9]*\.[0-9]+|[0-9]+)/.exec(s.slice(i)) as RegExpExecArray;
      let v = m[0];
      i += v.length;
      const en = /^E[-+]?[0-9]+/.exec(s.slice(i));
      if (en) {
        v += en[0];
        i += en[0].length;
        out.push({ t: "number", v });
        continue;
      }
      const pc = /^[ \t\r\n]?(\\%|%)/.exec(s.slice(i));
      if (pc) {
        i += pc[0].length;
        out.push({ t: "percent", v });
        continue;
      }
      out.push({ t: "number", v });
      continue;
    }
    if (/[a-zA-Z]/.test(c)) {
      if (c === "d") {
        const m = /^d\s*([a-zA-Z]|\\[a-zA-Z]+)/.exec(s.slice(i));
        if (m) {
          out.push({ t: "diff", v: (m[1] as string).replace(/^\\/, "") });
          i += m[0].length;
          continue;
        }
      }
      if (d === "l2s") {
        const word = L2S_WORDS.find((w) => s.startsWith(w, i));
        if (word) {
          out.push({ t: "word", v: word });
          i += word.length;
          continue;
        }
      }
      out.push({ t: "letter", v: c });
      i++;
      continue;
    }
    if (d === "sympy") {
      if (c === "&" && s[i + 1] === "=") {
        out.push({ t: "=", v: "=" });
        i += 2;
        continue;
      }
      if ("+-*/(){}[]|^_!,:=<>.'".includes(c)) {
        let j = i + 1;
        if (c === "'") while (s[j] === "'") j++;
        out.push({ t: c, v: s.slice(i, j) });
        i = j;
        continue;
      }
    } else {
      const two = s.slice(i, i + 2);
      if (two === "<=" || two === ">=" || two === "!=" || two === "==" || two === "~=") {
        out.push({ t: two === "<=" ? "\\le" : two === ">=" ? "\\ge" : two === "!=" ? "\\neq" : two, v: two });
        i += 2;
        continue;
      }
      if ("+-*/(){}[]|^_!,:;=<>&'%".includes(c)) {
        out.push({ t: c, v: c });
        i++;
        continue;
      }
      const uni: Record<string, string> = {
        "−": "-",
        "×": "*",
        "÷": "/",
        "≤": "\\le",
        "≥": "\\ge",
        "≠": "\\neq",
        π: "\\pi",
        "∞": "\\infty",
        "±": "\\pm",
        "°": "°",
        "∪": "\\cup",
        "∩": "\\cap",
      };
      if (uni[c]) {
        const v = uni[c] as string;
        out.push({ t: v.startsWith("\\") ? "cmd" : v, v });
        i++;
        continue;
      }
    }
    fail();
  }
  return out;
}

/** Thrown to backtrack: the alternative did not match here. */
class NoMatch extends Error {}

export interface ParseOptions {
  dialect: Dialect;
  /** l2s: symbols are real (Math-Verify: unless the text looks complex). */
  realSymbols?: boolean;
}

class Parser {
  i = 0;
  constructor(
    readonly toks: Tok[],
    readonly d: Dialect,
    readonly nonreal = false,
  ) {}

  symbol(name: string): Expr {
    return this.nonreal ? { k: "sym", name, nonreal: true } : { k: "sym", name };
  }

  peek(o = 0): Tok | undefined {
    return this.toks[this.i + o];
  }
  is(t: string, v?: string, o = 0): boolean {
    const k = this.peek(o);
    return k !== undefined && k.t === t && (v === undefined || k.v === v);
  }
  isCmd(...names: string[]): boolean {
    const k = this.peek();
    return k !== undefined && k.t === "cmd" && names.includes(k.v.slice(1));
  }
  eat(t: string, v?: string): Tok {
    if (!this.is(t, v)) throw new NoMatch(`expected ${v ?? t}`);
    return this.toks[this.i++] as Tok;
  }
  /** Runs `f`; on NoMatch restores the position and returns undefined (ANTLR's exit branch). */
  attempt<T>(f: () => T): T | undefined {
    const save = this.i;
    try {
      return f();
    } catch (e) {
      if (e instanceof NoMatch || e instanceof MathDomainError) {
        this.i = save;
        return undefined;
      }
      throw e;
    }
  }

  // relation: expr (relop expr)*
  relation(): Expr {
    let lhs = this.expr();
    for (;;) {
      const k = this.peek();
      const op =
        k &&
        (k.t === "=" || k.t === "<" || k.t === ">" ? REL_TOKENS[k.t] : k.t === "cmd" ? REL_TOKENS[k.v] : undefined);
      if (!op) return lhs;
      const rhs = this.attempt(() => {
        this.i++;
        return this.expr();
      });
      if (!rhs) return lhs;
      lhs = { k: "rel", op, lhs, rhs };
    }
  }

  expr(): Expr {
    let lhs = this.mp(false);
    for (;;) {
      if (!this.is("+") && !this.is("-")) return lhs;
      const minus = this.is("-");
      const rhs = this.attempt(() => {
        this.i++;
        return this.mp(false);
      });
      if (!rhs) return lhs;
      lhs = { k: "add", args: [...(lhs.k === "add" ? lhs.args : [lhs]), minus ? neg(rhs) : rhs] };
    }
  }

  mp(nofunc: boolean): Expr {
    let lhs = this.unary(nofunc);
    for (;;) {
      const k = this.peek();
      if (!k) return lhs;
      const mulOp = k.t === "*" || (k.t === "cmd" && (k.v === "\\times" || k.v === "\\cdot"));
      const divOp =
        k.t === "/" || k.t === ":" || (k.t === "cmd" && (k.v === "\\div" || (this.d === "l2s" && k.v === "\\over")));
      const modOp = this.d === "l2s" && k.t === "cmd" && k.v === "\\mod";
      if (!mulOp && !divOp && !modOp) return lhs;
      const rhs = this.attempt(() => {
        this.i++;
        return this.unary(nofunc);
      });
      if (!rhs) return lhs;
      if (mulOp) lhs = { k: "mul", args: [...(lhs.k === "mul" ? lhs.args : [lhs]), rhs] };
      else if (modOp) lhs = { k: "fn", name: "Mod", args: [lhs, rhs] };
      else if (this.d === "l2s" && lhs.k === "num" && lhs.v.den === 1n && rhs.k === "num" && rhs.v.den === 1n)
        lhs = { k: "num", v: rat(lhs.v.num, rhs.v.num) };
      else lhs = { k: "mul", args: [lhs, { k: "pow", base: rhs, exp: num(-1) }] };
    }
  }

  unary(nofunc: boolean): Expr {
    if (this.is("+")) {
      this.i++;
      return this.unary(nofunc);
    }
    if (this.is("-")) {
      this.i++;
      return neg(this.unary(nofunc));
    }
    const first = this.postfix(false);
    const list = [first];
    for (;;) {
      const next = this.attempt(() => this.postfix(nofunc));
      if (!next) break;
      list.push(next);
    }
    return this.postfixList(list);
  }

  postfixList(list: Expr[]): Expr {
    if (this.d === "sympy") {
      // sympy: an `x` between two symbol-free factors means "times" (2x3 = 2*3).
      const kept: Expr[] = [];
      list.forEach((e, i) => {
        const l = list[i - 1];
        const r = list[i + 1];
        if (i > 0 && r && l && e.k === "sym" && e.name === "x" && !hasSymbols(l) && !hasSymbols(r)) return;
        kept.push(e);
      });
      return kept.length === 1 ? (kept[0] as Expr) : { k: "mul", args: kept };
    }
    // latex2sympy2: an integer followed by a positive rational is a mixed number (2\frac12 = 5/2).
    const conv = (i: number): Expr => {
      const res = list[i] as Expr;
      if (i === list.length - 1) return res;
      const rh = conv(i + 1);
      if (res.k === "num" && res.v.den === 1n && rh.k === "num" && rh.v.num > 0n) {
        const r = rh.v;
        return { k: "num", v: rat(res.v.num < 0n ? res.v.num * r.den - r.num : res.v.num * r.den + r.num, r.den) };
      }
      return { k: "mul", args: [res, ...(rh.k === "mul" ? rh.args : [rh])] };
    };
    return conv(0);
  }

  postfix(nofunc: boolean): Expr {
    let e = this.exp(nofunc);
    for (;;) {
      if (this.is("!")) {
        this.i++;
        e = { k: "fn", name: "factorial", args: [e] };
        continue;
      }
      if (this.d === "l2s") {
        const deg = this.attempt(() => this.degree());
        if (deg) continue;
        if (this.is("'")) {
          this.i++;
          continue; // transpose of a scalar
        }
      }
      return e;
    }
  }

  degree(): true {
    this.eat("^");
    if (this.isCmd("circ", "degree", "circle") || this.is("°")) {
      this.i++;
      return true;
    }
    this.eat("{");
    if (!(this.isCmd("circ", "degree", "circle") || this.is("°"))) throw new NoMatch("degree");
    this.i++;
    this.eat("}");
    return true;
  }

  exp(nofunc: boolean): Expr {
    let base = this.comp(nofunc);
    for (;;) {
      if (!this.is("^")) return base;
      const save = this.i;
      if (this.d === "l2s" && this.attempt(() => this.degree())) {
        this.i = save;
        return base;
      }
      const e = this.attempt(() => {
        this.i++;
        if (
          this.d === "l2s" &&
          (this.is("letter", "T") || (this.is("{") && this.is("letter", "T", 1) && this.is("}", undefined, 2)))
        )
          throw new NoMatch("transpose");
        const x = this.is("{") ? this.braced() : this.atom();
        if (this.is("_")) this.attempt(() => this.subexpr());
        return x;
      });
      if (!e) return base;
      base = { k: "pow", base, exp: e };
    }
  }

  braced(): Expr {
    this.eat("{");
    const e = this.expr();
    this.eat("}");
    return e;
  }

  subexpr(): string {
    this.eat("_");
    if (this.is("{")) {
      const e = this.braced();
      return sympyStr(e);
    }
    return sympyStr(this.atom());
  }

  comp(nofunc: boolean): Expr {
    const k = this.peek();
    if (!k) throw new NoMatch("end of input");
    if (this.d === "sympy") {
      if (k.t === "(" || k.t === "[" || k.t === "{" || k.t === "\\{") {
        const close = { "(": ")", "[": "]", "{": "}", "\\{": "\\}" }[k.t] as string;
        this.i++;
        const e = this.expr();
        this.eat(close);
        return e;
      }
    } else {
      const groups: Record<string, string> = { "(": ")", "{": "}", "[": "]", "\\{": "\\}" };
      if (groups[k.t]) {
        this.i++;
        const e = this.expr();
        this.eat(groups[k.t] as string);
        return e;
      }
      if (k.t === "cmd" && (k.v === "\\boxed" || k.v === "\\phantom")) {
        this.i++;
        return this.braced();
      }
      if (k.t === "begin") return this.matrix();
    }
    if (k.t === "|" || (this.d === "l2s" && k.t === "cmd" && (k.v === "\\lvert" || k.v === "\\vert"))) {
      this.i++;
      const e = this.expr();
      if (this.is("|") || this.isCmd("rvert", "vert")) this.i++;
      else throw new NoMatch("|");
      return { k: "fn", name: "abs", args: [e] };
    }
    if (k.t === "cmd" && (k.v === "\\lfloor" || k.v === "\\lceil")) {
      this.i++;
      const e = this.expr();
      this.eat("cmd", k.v === "\\lfloor" ? "\\rfloor" : "\\rceil");
      return { k: "fn", name: k.v === "\\lfloor" ? "floor" : "ceiling", args: [e] };
    }
    if (!nofunc) {
      const f = this.attempt(() => this.func());
      if (f) return f;
    }
    return this.atom();
  }

  matrix(): Expr {
    const kind = this.eat("begin").v;
    const rows: Expr[][] = [[]];
    for (;;) {
      (rows.at(-1) as Expr[]).push(this.expr());
      if (this.is("&")) {
        this.i++;
        continue;
      }
      if (this.is("rowsep")) {
        this.i++;
        if (this.is("end")) break;
        rows.push([]);
        continue;
      }
      break;
    }
    const end = this.eat("end").v;
    if (end !== kind) throw new NoMatch("matrix end");
    return kind === "vmatrix" ? { k: "fn", name: "det", args: [{ k: "matrix", rows }] } : { k: "matrix", rows };
  }

  func(): Expr {
    const k = this.peek() as Tok;
    const name = k.t === "cmd" ? k.v.slice(1) : "";
    const singles = this.d === "sympy" ? FUNCS : L2S_FUNCS;
    if (k.t === "cmd" && singles.has(name)) {
      this.i++;
      let base: Expr | undefined;
      let power: Expr | undefined;
      for (let n = 0; n < 2; n++) {
        if (this.is("_") && !base) {
          this.i++;
          base = this.is("{") ? this.braced() : this.atom();
        } else if (this.is("^") && !power) {
          this.i++;
          power = this.is("{") ? this.braced() : this.atom();
        }
      }
      let arg: Expr;
      if (this.is("(")) {
        const a = this.attempt(() => {
          this.i++;
          const e = this.expr();
          while (this.is(",")) {
            this.i++;
            this.expr();
          }
          this.eat(")");
          return e;
        });
        arg = a ?? this.mp(true);
      } else arg = this.mp(true);
      return this.applyFunc(name, arg, base, power);
    }
    if (this.d === "l2s" && k.t === "cmd" && L2S_MULTI.has(name)) {
      this.i++;
      this.eat("(");
      const args = [this.expr()];
      while (this.is(",")) {
        this.i++;
        args.push(this.expr());
      }
      this.eat(")");
      return { k: "fn", name: name === "max" ? "Max" : name === "min" ? "Min" : name, args };
    }
    if (k.t === "cmd" && name === "sqrt") {
      this.i++;
      let root: Expr | undefined;
      if (this.is("[")) {
        this.i++;
        root = this.expr();
        this.eat("]");
      }
      const base = this.braced();
      return { k: "pow", base, exp: root ? { k: "pow", base: root, exp: num(-1) } : num(1, 2) };
    }
    if (this.d === "sympy" && k.t === "cmd" && name === "overline") {
      this.i++;
      return { k: "fn", name: "conjugate", args: [this.braced()] };
    }
    if (this.d === "sympy" && (k.t === "letter" || (k.t === "cmd" && !KNOWN_CMDS.has(name)))) {
      // f(x), f_1(x), f'(x): an undefined function (also `x(x+1)`, as sympy parses it).
      this.i++;
      let fname = k.t === "letter" ? k.v : name;
      if (this.is("_")) fname += `_{${this.subexpr()}}`;
      if (this.is("'")) fname += this.eat("'").v;
      this.eat("(");
      const args = [this.expr()];
      while (this.is(",")) {
        this.i++;
        args.push(this.expr());
      }
      this.eat(")");
      return { k: "fn", name: fname, args, undefinedFn: true };
    }
    if (this.d === "l2s" && k.t === "cmd" && name === "exponentialE") {
      this.i++;
      return this.expE();
    }
    if (this.d === "l2s" && k.t === "letter" && k.v === "e") {
      this.i++;
      return this.expE();
    }
    if (
      this.d === "l2s" &&
      (k.t === "letter" ||
        k.t === "accent" ||
        (k.t === "cmd" && (GREEK.includes(name) || OTHER_SYMBOLS.includes(name))))
    ) {
      this.i++;
      let fname = this.atomText(k);
      if (this.is("_")) {
        const s = this.subexpr();
        fname += s.length > 1 ? `_{${s}}` : `_${s}`;
      }
      let power: Expr | undefined;
      if (this.is("^")) {
        this.i++;
        power = this.is("{") ? this.braced() : this.atom();
      }
      let close = ")";
      if (this.is("(")) this.i++;
      else if (this.is("[")) {
        this.i++;
        close = "]";
      } else throw new NoMatch("function call");
      const args = [this.expr()];
      while (this.is(",")) {
        this.i++;
        if (this.is(close)) break;
        args.push(this.expr());
      }
      this.eat(close);
      const f: Expr = { k: "fn", name: fname.toLowerCase(), args, undefinedFn: true };
      return power ? { k: "pow", base: f, exp: power } : f;
    }
    throw new NoMatch("function");
  }

  expE(): Expr {
    if (this.is("^")) {
      this.i++;
      const x = this.is("{") ? this.braced() : this.atom();
      return { k: "pow", base: { k: "const", name: "E" }, exp: x };
    }
    return { k: "const", name: "E" };
  }

  applyFunc(name: string, arg: Expr, base: Expr | undefined, power: Expr | undefined): Expr {
    let n = name;
    const inverseTrig = ["sin", "cos", "tan", "csc", "sec", "cot", "sinh", "cosh", "tanh"];
    if (n.startsWith("arc") && n.length > 3) n = `a${n.slice(3)}`;
    else if (n.startsWith("ar") && n.endsWith("h")) n = `a${n.slice(2)}`;
    let e: Expr;
    if (n === "exp") e = { k: "pow", base: { k: "const", name: "E" }, exp: arg };
    else if (n === "log" || n === "ln" || n === "lg") {
      const b: Expr | undefined =
        base ?? (n === "lg" ? num(10) : this.d === "l2s" && n === "log" ? num(10) : undefined);
      e = b ? { k: "fn", name: "log", args: [arg, b] } : { k: "fn", name: "log", args: [arg] };
    } else if (n === "floor" || n === "ceil") e = { k: "fn", name: n === "floor" ? "floor" : "ceiling", args: [arg] };
    else if (inverseTrig.includes(n) && power && power.k === "num" && power.v.num === -1n && power.v.den === 1n) {
      e = { k: "fn", name: `a${n}`, args: [arg] };
      power = undefined;
    } else e = { k: "fn", name: n, args: [arg] };
    return power ? { k: "pow", base: e, exp: power } : e;
  }

  atomText(k: Tok): string {
    if (k.t === "letter") return k.v;
    if (k.t === "accent") {
      const [accent, inner = ""] = k.v.split("\u0000") as [string, string?];
      const text = inner.replace(/ /g, "");
      if (accent === "bar" || accent === "overline") return `bar{${text}}`;
      if (accent === "vec" || accent === "overrightarrow") return `vec{${text}}`;
      if (accent === "tilde" || accent === "widetilde") return `tilde{${text}}`;
      if (accent.includes("text") || accent.includes("mbox")) return text.replace(/[()]/g, "");
      if (accent.includes("math")) return `math{${text}}`;
      return `${accent}{${text}}`;
    }
    return k.v.slice(1);
  }

  atom(): Expr {
    const k = this.peek();
    if (!k) throw new NoMatch("end of input");
    return this.d === "sympy" ? this.sympyAtom(k) : this.l2sAtom(k);
  }

  sympyAtom(k: Tok): Expr {
    if (k.t === "letter" || (k.t === "cmd" && !KNOWN_CMDS.has(k.v.slice(1)))) {
      this.i++;
      let name = k.t === "letter" ? k.v : k.v.slice(1);
      if (k.t === "cmd" && name === "infty") return { k: "const", name: "oo" };
      if (this.is("_")) {
        const s = this.attempt(() => this.subexpr());
        if (s !== undefined) name += `_{${s}}`;
      }
      if (this.is("'")) name += this.eat("'").v;
      return { k: "sym", name };
    }
    if (k.t === "digit") {
      let s = "";
      while (this.is("digit")) s += this.eat("digit").v;
      for (;;) {
        const grp = this.attempt(() => {
          this.eat(",");
          return this.eat("digit").v + this.eat("digit").v + this.eat("digit").v;
        });
        if (grp === undefined) break;
        s += grp;
      }
      const frac = this.attempt(() => {
        this.eat(".");
        let f = this.eat("digit").v;
        while (this.is("digit")) f += this.eat("digit").v;
        return f;
      });
      if (frac !== undefined) return { k: "float", v: parseDecimal(`${s}.${frac}`), text: `${s}.${frac}` };
      // sympy.Number("01") raises (a Python integer literal cannot start with 0).
      if (s.length > 1 && s.startsWith("0")) throw new LatexParseError(`invalid integer ${s}`);
      return { k: "num", v: rat(BigInt(s)) };
    }
    if (k.t === "diff") {
      this.i++;
      return { k: "sym", name: `d${k.v}` };
    }
    if (k.t === "cmd" && k.v === "\\mathit") {
      this.i++;
      this.eat("{");
      let s = "";
      while (this.is("letter")) s += this.eat("letter").v;
      this.eat("}");
      return { k: "sym", name: s };
    }
    if (k.t === "cmd" && ["\\frac", "\\dfrac", "\\tfrac"].includes(k.v)) {
      this.i++;
      const part = () => (this.is("digit") ? num(BigInt(this.eat("digit").v)) : this.braced());
      const top = part();
      const bot = part();
      const inv: Expr = { k: "pow", base: bot, exp: num(-1) };
      return top.k === "num" && top.v.num === 1n && top.v.den === 1n ? inv : { k: "mul", args: [top, inv] };
    }
    if (k.t === "cmd" && ["\\binom", "\\dbinom", "\\tbinom"].includes(k.v)) {
      this.i++;
      const n = this.braced();
      return { k: "fn", name: "binomial", args: [n, this.braced()] };
    }
    throw new NoMatch(`atom ${k.v}`);
  }

  l2sAtom(k: Tok): Expr {
    if (
      k.t === "letter" ||
      k.t === "accent" ||
      (k.t === "cmd" && (GREEK.includes(k.v.slice(1)) || OTHER_SYMBOLS.includes(k.v.slice(1))))
    ) {
      this.i++;
      if (k.t === "letter" && k.v === "I") return { k: "const", name: "I" };
      let text = this.atomText(k);
      if (k.t === "cmd" && GREEK.includes(text)) text = text.toLowerCase();
      let sub = "";
      let sup: Expr | undefined;
      for (let n = 0; n < 2; n++) {
        if (this.is("_") && !sub) {
          const s = this.attempt(() => this.subexpr());
          if (s !== undefined) sub = s.length > 1 ? `_{${s}}` : `_${s}`;
        } else if (this.is("^") && !sup && !this.attempt(() => this.degreeAhead())) {
          const x = this.attempt(() => {
            this.i++;
            if (this.is("letter", "T") || (this.is("{") && this.is("letter", "T", 1))) throw new NoMatch("transpose");
            return this.is("{") ? this.braced() : this.atom();
          });
          if (x) sup = x;
        }
      }
      const name = `${text}${sub}`.toLowerCase();
      const s: Expr = name === "pi" ? { k: "const", name: "pi" } : this.symbol(name);
      return sup ? { k: "pow", base: s, exp: sup } : s;
    }
    if (k.t === "number") {
      this.i++;
      const v = k.v;
      if (this.is("_")) this.attempt(() => this.subexpr());
      return l2sNumber(v);
    }
    if (k.t === "percent") {
      this.i++;
      return { k: "mul", args: [l2sNumber(k.v), num(1, 100)] };
    }
    if (k.t === "letter" && k.v === "E") {
      this.i++;
      return this.symbol("e");
    }
    if (k.t === "cmd" && k.v === "\\infty") {
      this.i++;
      return { k: "const", name: "oo" };
    }
    if (k.t === "diff") {
      this.i++;
      return { k: "sym", name: `d${k.v}` };
    }
    if (k.t === "cmd" && ["\\frac", "\\dfrac", "\\tfrac", "\\cfrac"].includes(k.v)) {
      this.i++;
      const top = this.braced();
      const bot = this.braced();
      if (top.k === "num" && bot.k === "num" && top.v.den === 1n && bot.v.den === 1n)
        return { k: "num", v: rat(top.v.num, bot.v.num) };
      return { k: "mul", args: [top, { k: "pow", base: bot, exp: num(-1) }] };
    }
    if (k.t === "cmd" && ["\\binom", "\\dbinom", "\\tbinom"].includes(k.v)) {
      this.i++;
      const n = this.braced();
      return { k: "fn", name: "binomial", args: [n, this.braced()] };
    }
    throw new NoMatch(`atom ${k.v}`);
  }

  degreeAhead(): true {
    const save = this.i;
    this.degree();
    this.i = save;
    return true;
  }
}

/** latex2sympy2's `parse_number`: digits lose leading zeros; a decimal is a Float; `1E5` is a Float too. */
function l2sNumber(text: string): Expr {
  if (/^[0-9]+$/.test(text)) return { k: "num", v: rat(BigInt(text)) };
  const m = /^([0-9]*\.?[0-9]*)E([-+]?[0-9]+)$/.exec(text);
  if (m) {
    const base = parseDecimal(m[1] as string);
    const e = Number(m[2]);
    const scale = rat(10n ** BigInt(Math.abs(e)));
    const v = e >= 0 ? rat(base.num * scale.num, base.den) : rat(base.num, base.den * scale.num);
    return { k: "float", v, text };
  }
  return { k: "float", v: parseDecimal(text), text: text.startsWith(".") ? `0${text}` : text };
}

/** Commands the sympy grammar gives their own tokens (everything else is a SYMBOL, i.e. a variable). */
const KNOWN_CMDS = new Set([
  ...FUNCS,
  "lim",
  "to",
  "rightarrow",
  "Rightarrow",
  "longrightarrow",
  "Longrightarrow",
  "int",
  "sum",
  "prod",
  "lfloor",
  "rfloor",
  "lceil",
  "rceil",
  "sqrt",
  "overline",
  "times",
  "cdot",
  "div",
  "frac",
  "dfrac",
  "tfrac",
  "binom",
  "dbinom",
  "tbinom",
  "mathit",
  "neq",
  "le",
  "leq",
  "leqq",
  "leqslant",
  "ge",
  "geq",
  "geqq",
  "geqslant",
  "langle",
  "rangle",
]);

function hasSymbols(e: Expr): boolean {
  if (e.k === "sym") return true;
  if (e.k === "add" || e.k === "mul" || e.k === "fn") return e.args.some(hasSymbols);
  if (e.k === "pow") return hasSymbols(e.base) || hasSymbols(e.exp);
  return false;
}

/** How sympy's StrPrinter writes a subscript (enough for symbol names: numbers and symbols). */
function sympyStr(e: Expr): string {
  switch (e.k) {
    case "num":
      return e.v.den === 1n ? `${e.v.num}` : `${e.v.num}/${e.v.den}`;
    case "float":
      return e.text;
    case "sym":
      return e.name;
    case "const":
      return e.name;
    case "add":
      return e.args.map(sympyStr).join(" + ");
    case "mul":
      return e.args.map(sympyStr).join("*");
    case "pow":
      return `${sympyStr(e.base)}**${sympyStr(e.exp)}`;
    default:
      return "?";
  }
}

/** sympy's `parse_latex(latex)`; throws LatexParseError where sympy raises. */
export function parseLatexSympy(latex: string): Expr {
  const p = new Parser(lex(latex, "sympy"), "sympy");
  try {
    return p.relation();
  } catch (e) {
    if (e instanceof NoMatch) throw new LatexParseError(e.message);
    throw e;
  }
}

// ---- latex2sympy2_extended's top level: sets, tuples, intervals, relations ----

class L2SParser extends Parser {
  /** math: (set_elements_relation | set_elements | set_relation) EOF */
  math(source: string): Expr {
    const whole = <T>(f: () => T): T | undefined =>
      this.attempt(() => {
        const r = f();
        if (this.i !== this.toks.length) throw new NoMatch("trailing input");
        return r;
      });
    const r =
      whole(() => this.setElementsRelation()) ??
      whole(() => {
        const v = this.setElements();
        return /^\s*-?\d{1,3}(,\d{3})+(\.\d+)?\s*$/.test(source) ? l2sNumber(source.replace(/[,\s]/g, "")) : v;
      }) ??
      whole(() => this.setUnion());
    if (!r) throw new LatexParseError("latex2sympy2: no parse");
    return r;
  }

  atomExprList(): Expr {
    if (this.is("(")) {
      this.i++;
      const items = [this.atomExpr()];
      while (this.is(",")) {
        this.i++;
        items.push(this.atomExpr());
      }
      this.eat(")");
      return items.length === 1 ? (items[0] as Expr) : { k: "tuple", args: items };
    }
    return this.atomExpr();
  }
  atomExpr(): Expr {
    const k = this.peek();
    if (
      !k ||
      !(
        k.t === "letter" ||
        k.t === "accent" ||
        (k.t === "cmd" && (GREEK.includes(k.v.slice(1)) || OTHER_SYMBOLS.includes(k.v.slice(1))))
      )
    )
      throw new NoMatch("atom_expr");
    if (k.t === "letter" && (k.v === "e" || k.v === "E")) throw new NoMatch("atom_expr");
    return this.l2sAtom(k);
  }

  setElementsRelation(): Expr {
    const lhs = this.atomExprList();
    if (!(this.is("=") || this.isCmd("in"))) throw new NoMatch("= or \\in");
    this.i++;
    const groups = this.semicolonElements(false);
    return { k: "rel", op: "==", lhs, rhs: elementsToSetOrTuple(groups) };
  }

  setElements(): Expr {
    return elementsToSetOrTuple(this.semicolonElements(true));
  }

  semicolonElements(withRelations: boolean): Expr[][] {
    const groups = [this.commaElements(withRelations)];
    while (this.is(";")) {
      this.i++;
      groups.push(this.commaElements(withRelations));
    }
    return groups;
  }
  commaElements(withRelations: boolean): Expr[] {
    const out = [...this.element(withRelations)];
    for (;;) {
      if (!this.is(",")) return out;
      const next = this.attempt(() => {
        this.i++;
        return this.element(withRelations);
      });
      if (!next) return out;
      out.push(...next);
    }
  }
  element(withRelations: boolean): Expr[] {
    const pm = this.attempt(() => this.plusMinus());
    if (pm) return pm;
    const save = this.i;
    const atomAlt = this.attempt(() => this.setAtom());
    const atomEnd = this.i;
    this.i = save;
    const relAlt = this.attempt(() => (withRelations ? this.l2sRelation() : this.expr()));
    const relEnd = this.i;
    // ANTLR takes the alternative that reads further (set_atom first when both stop at the same place).
    if (atomAlt && (!relAlt || atomEnd >= relEnd)) {
      this.i = atomEnd;
      return [atomAlt];
    }
    if (relAlt) {
      this.i = relEnd;
      return [relAlt];
    }
    throw new NoMatch("element");
  }
  plusMinus(): Expr[] {
    let left: Expr | undefined;
    if (!this.isCmd("pm", "mp")) left = this.expr();
    if (!this.isCmd("pm", "mp")) throw new NoMatch("\\pm");
    this.i++;
    const right = this.expr();
    if (!left) return [neg(right), right];
    return [
      { k: "add", args: [left, right] },
      { k: "add", args: [left, neg(right)] },
    ];
  }

  l2sRelation(): Expr {
    let lhs = this.expr();
    for (;;) {
      const k = this.peek();
      if (!k) return lhs;
      let op: RelOp | "approx" | undefined;
      if (k.t === "=" || k.t === "==" || (k.t === "cmd" && k.v === "\\equiv")) op = "==";
      else if (k.t === "<" || (k.t === "cmd" && k.v === "\\lt")) op = "<";
      else if (k.t === ">" || (k.t === "cmd" && k.v === "\\gt")) op = ">";
      else if (k.t === "\\le" || (k.t === "cmd" && ["\\le", "\\leq", "\\leqslant"].includes(k.v))) op = "<=";
      else if (k.t === "\\ge" || (k.t === "cmd" && ["\\ge", "\\geq", "\\geqslant"].includes(k.v))) op = ">=";
      else if (k.t === "\\neq" || (k.t === "cmd" && ["\\ne", "\\neq"].includes(k.v))) op = "!=";
      else if (k.t === "~=" || (k.t === "cmd" && k.v === "\\approx")) op = "approx";
      if (!op) return lhs;
      const o = op;
      const rhs = this.attempt(() => {
        this.i++;
        return this.expr();
      });
      if (!rhs) return lhs;
      if (o === "approx") {
        lhs = onlySymbols(lhs) ? rhs : lhs;
        continue;
      }
      if (lhs.k === "and") lhs = { k: "and", args: [...lhs.args, { k: "rel", op: o, lhs: lastRhs(lhs), rhs }] };
      else if (lhs.k === "rel") lhs = { k: "and", args: [lhs, { k: "rel", op: o, lhs: lhs.rhs, rhs }] };
      else lhs = { k: "rel", op: o, lhs, rhs };
    }
  }

  setAtom(): Expr {
    const k = this.peek();
    if (!k) throw new NoMatch("set");
    if (k.t === "namedset") {
      this.i++;
      const names = { N: "Naturals", Z: "Integers", Q: "Rationals", R: "Reals", C: "Complexes", P: "Primes" } as const;
      return { k: "named-set", name: names[k.v as keyof typeof names] };
    }
    if (
      this.isCmd("emptyset", "varnothing") ||
      (this.is("\\{") && this.is("\\}", undefined, 1)) ||
      (this.is("{") && this.is("}", undefined, 1))
    ) {
      this.i += this.isCmd("emptyset", "varnothing") ? 1 : 2;
      return { k: "named-set", name: "EmptySet" };
    }
    const interval = this.attempt(() => {
      const open = this.peek() as Tok;
      if (!["(", "[", "\\("].includes(open.t) && !(open.t === "cmd" && ["\\lbrack", "\\lgroup"].includes(open.v)))
        throw new NoMatch("interval");
      this.i++;
      const lo = this.expr();
      this.eat(",");
      const hi = this.expr();
      const close = this.peek();
      if (
        !close ||
        !([")", "]", "\\)"].includes(close.t) || (close.t === "cmd" && ["\\rbrack", "\\rgroup"].includes(close.v)))
      )
        throw new NoMatch("interval end");
      this.i++;
      const lopen = open.t === "(" || open.t === "\\(" || open.v === "\\lgroup";
      const ropen = close.t === ")" || close.t === "\\)" || close.v === "\\rgroup";
      const order = numericOrder(lo, hi);
      if (order !== undefined && ((lopen && ropen && order >= 0) || (!lopen && !ropen && order > 0)))
        return { k: "tuple", args: [lo, hi] } as Expr;
      return { k: "interval", lo, hi, lopen, ropen } as Expr;
    });
    if (interval) return interval;
    const tuple = this.attempt(() => {
      const open = this.peek() as Tok;
      const close = { "(": ")", "\\(": "\\)", "[": "]" }[open.t];
      if (!close) throw new NoMatch("tuple");
      this.i++;
      const groups = this.semicolonElements(true);
      this.eat(close);
      if (groups.length === 1 && groups[0]?.length === 1) return groups[0][0] as Expr;
      return { k: "tuple", args: groups.flat() } as Expr;
    });
    if (tuple) return tuple;
    const finite = this.attempt(() => {
      if (this.isCmd("boxed")) {
        this.i++;
        this.eat("{");
        const groups = this.semicolonElements(true);
        this.eat("}");
        return elementsToSetOrTuple(groups);
      }
      const open = this.peek() as Tok;
      const close = { "{": "}", "\\{": "\\}" }[open.t];
      if (!close) throw new NoMatch("set");
      this.i++;
      const groups = this.semicolonElements(true);
      this.eat(close);
      return { k: "set", args: groups.flat() } as Expr;
    });
    if (finite) return finite;
    throw new NoMatch("set atom");
  }

  setUnion(): Expr {
    let lhs = this.setGroup();
    for (;;) {
      if (!this.isCmd("cup", "cap", "setminus")) return lhs;
      const op = (this.peek() as Tok).v;
      const rhs = this.attempt(() => {
        this.i++;
        return this.setGroup();
      });
      if (!rhs) return lhs;
      const asSet = (e: Expr): Expr => (e.k === "tuple" ? { k: "set", args: e.args } : e);
      if (op === "\\cup") lhs = { k: "union", args: [asSet(lhs), asSet(rhs)] };
      else throw new NoMatch("intersection/complement not supported");
    }
  }
  setGroup(): Expr {
    const inner = this.attempt(() => {
      this.eat("(");
      const e = this.setUnion();
      this.eat(")");
      return e;
    });
    return inner ?? this.setAtom();
  }
}

function onlySymbols(e: Expr): boolean {
  if (e.k === "sym") return true;
  if (e.k === "pow" && e.exp.k === "num" && e.exp.v.num === -1n && e.exp.v.den === 1n) return onlySymbols(e.base);
  if (e.k === "add" || e.k === "mul" || e.k === "tuple") return e.args.length > 0 && e.args.every(onlySymbols);
  return false;
}

function lastRhs(e: Expr): Expr {
  if (e.k === "and") return lastRhs(e.args.at(-1) as Expr);
  return e.k === "rel" ? e.rhs : e;
}

function numericOrder(a: Expr, b: Expr): number | undefined {
  const v = (e: Expr): number | undefined =>
    e.k === "num" || e.k === "float"
      ? Number(e.v.num) / Number(e.v.den)
      : e.k === "const" && e.name === "oo"
        ? Infinity
        : e.k === "mul" &&
            e.args.length === 2 &&
            e.args[0]?.k === "num" &&
            e.args[1]?.k === "const" &&
            e.args[1].name === "oo"
          ? -Infinity
          : undefined;
  const x = v(a);
  const y = v(b);
  return x === undefined || y === undefined ? undefined : Math.sign(x - y);
}

function elementsToSetOrTuple(groups: Expr[][]): Expr {
  if (groups.length === 1) {
    const g = groups[0] as Expr[];
    return g.length === 1 ? (g[0] as Expr) : { k: "set", args: g };
  }
  if (groups.every((g) => g.length === 1)) return { k: "set", args: groups.map((g) => g[0] as Expr) };
  return { k: "set", args: groups.map((g) => ({ k: "tuple", args: g }) as Expr) };
}

/** latex2sympy2_extended's `latex2sympy(latex, normalization_config=None)`; throws LatexParseError where it raises. */
export function parseLatexL2S(latex: string, opts: { real?: boolean } = {}): Expr {
  const p = new L2SParser(lex(latex, "l2s"), "l2s", opts.real === false);
  return p.math(latex);
}
