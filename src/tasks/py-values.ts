/**
 * Python's value semantics for what lm-eval's prompts go through: `str()` and `repr()` of ints, floats, strings,
 * lists, tuples and dicts (a Jinja `{{ x }}` is `str(x)`), truthiness, equality and ordering, and
 * `ast.literal_eval` of rendered text (lm-eval turns `"['a', 'b']"` back into a list that way). Data values are
 * plain JSON-like JS values; a float that happens to be integral is a {@link PyFloat} so that it prints as `1.0`.
 */
import { ModelmapError } from "../core/errors.ts";

/** A Python float whose value is integral (`1.0`): JS numbers alone cannot tell it from the int `1`. */
export class PyFloat {
  constructor(readonly value: number) {}

  toJSON(): number {
    return this.value;
  }
}

/** Jinja's `namespace()`: a mutable attribute bag (`{% set ns.n = ns.n + 1 %}`). */
export class PyNamespace {
  readonly attrs = new Map<string, unknown>();
}

/** A Python tuple (prints with parentheses; otherwise a list). */
export class PyTuple extends Array<unknown> {
  static of2(items: unknown[]): PyTuple {
    const t = new PyTuple();
    for (const x of items) t.push(x);
    return t;
  }
}

export function isFloat(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === "number" && !Number.isInteger(v));
}

export function isNumber(v: unknown): v is number | PyFloat {
  return typeof v === "number" || v instanceof PyFloat;
}

export function num(v: unknown): number {
  if (typeof v === "number") return v;
  if (v instanceof PyFloat) return v.value;
  if (typeof v === "boolean") return v ? 1 : 0;
  throw new TypeError(`expected a number, got ${typeName(v)}`);
}

/** Wraps a JS number as a Python float (kept a plain number when it is not integral). */
export function toFloat(n: number): number | PyFloat {
  return Number.isInteger(n) || !Number.isFinite(n) ? new PyFloat(n) : n;
}

export function isDict(v: unknown): v is Record<string, unknown> {
  return (
    v !== null &&
    typeof v === "object" &&
    !Array.isArray(v) &&
    !(v instanceof PyFloat) &&
    !(v instanceof PyNamespace) &&
    !(v instanceof Uint8Array)
  );
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (v instanceof PyFloat) return "float";
  if (typeof v === "string") return "str";
  if (v instanceof PyTuple) return "tuple";
  if (Array.isArray(v)) return "list";
  if (v instanceof PyNamespace) return "Namespace";
  if (typeof v === "function") return "function";
  return "dict";
}

/** Python's `repr(float)`: the shortest round-trip digits, fixed notation for exponents -4..15, else `1e-05`. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mant, expStr] = x.toExponential().split("e") as [string, string];
  const exp = Number(expStr);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  let out: string;
  if (exp >= -4 && exp < 16) {
    if (exp >= 0) {
      const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
      const frac = digits.slice(exp + 1);
      out = `${intPart}.${frac === "" ? "0" : frac}`;
    } else out = `0.${"0".repeat(-exp - 1)}${digits}`;
  } else {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return neg ? `-${out}` : out;
}

// Characters Python's str.isprintable() rejects (other than the space): they are escaped by repr().
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Python's `repr(str)`. */
export function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch !== " " && NON_PRINTABLE.test(ch)) {
      const cp = ch.codePointAt(0) ?? 0;
      if (cp < 0x100) out += `\\x${cp.toString(16).padStart(2, "0")}`;
      else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, "0")}`;
      else out += `\\U${cp.toString(16).padStart(8, "0")}`;
    } else out += ch;
  }
  return out + quote;
}

export function pyRepr(v: unknown): string {
  if (typeof v === "string") return strRepr(v);
  if (v instanceof PyTuple) return v.length === 1 ? `(${pyRepr(v[0])},)` : `(${v.map(pyRepr).join(", ")})`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (v instanceof PyNamespace)
    return `<Namespace ${pyRepr(Object.fromEntries(v.attrs)).replace(/^\{/, "{").replace(/\}$/, "}")}>`;
  if (isDict(v))
    return `{${Object.entries(v)
      .map(([k, x]) => `${strRepr(k)}: ${pyRepr(x)}`)
      .join(", ")}}`;
  return pyStr(v);
}

/** Python's `str()`. */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : floatRepr(v);
  if (v instanceof PyFloat) return floatRepr(v.value);
  if (typeof v === "bigint") return v.toString();
  return pyRepr(v);
}

export function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false) return false;
  if (v === true) return true;
  if (typeof v === "number") return v !== 0;
  if (v instanceof PyFloat) return v.value !== 0;
  if (typeof v === "string" || Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  return true;
}

export function pyEq(a: unknown, b: unknown): boolean {
  if ((isNumber(a) || typeof a === "boolean") && (isNumber(b) || typeof b === "boolean")) return num(a) === num(b);
  if (a === null || a === undefined) return b === null || b === undefined;
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a instanceof PyTuple !== b instanceof PyTuple || a.length !== b.length) return false;
    return a.every((x, i) => pyEq(x, b[i]));
  }
  if (isDict(a) && isDict(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && pyEq(a[k], b[k]));
  }
  return a === b;
}

/** `a < b` with Python's rules (numbers with numbers, strings by code point, sequences lexicographically). */
export function pyLess(a: unknown, b: unknown): boolean {
  if ((isNumber(a) || typeof a === "boolean") && (isNumber(b) || typeof b === "boolean")) return num(a) < num(b);
  if (typeof a === "string" && typeof b === "string") return compareCodePoints(a, b) < 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!pyEq(a[i], b[i])) return pyLess(a[i], b[i]);
    }
    return a.length < b.length;
  }
  throw new TypeError(`'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

function compareCodePoints(a: string, b: string): number {
  const A = Array.from(a);
  const B = Array.from(b);
  for (let i = 0; i < Math.min(A.length, B.length); i++) {
    const x = (A[i] as string).codePointAt(0) ?? 0;
    const y = (B[i] as string).codePointAt(0) ?? 0;
    if (x !== y) return x - y;
  }
  return A.length - B.length;
}

/** Code points of a string (Python indexes strings by code point, JS by UTF-16 unit). */
export function chars(s: string): string[] {
  return /[\uD800-\uDFFF]/.test(s) ? Array.from(s) : s.split("");
}

export function pyLen(v: unknown): number {
  if (typeof v === "string") return chars(v).length;
  if (Array.isArray(v)) return v.length;
  if (isDict(v)) return Object.keys(v).length;
  throw new TypeError(`object of type '${typeName(v)}' has no len()`);
}

/** Resolves a Python index (negative counts from the end); undefined when out of range. */
export function pyIndex(len: number, i: number): number | undefined {
  const j = i < 0 ? len + i : i;
  return j >= 0 && j < len ? j : undefined;
}

/** Python slice semantics (start/stop/step may be undefined or null). */
export function sliceIndices(len: number, start: unknown, stop: unknown, step: unknown): number[] {
  const st = step === undefined || step === null ? 1 : num(step);
  if (st === 0) throw new RangeError("slice step cannot be zero");
  const norm = (v: unknown, def: number, lo: number, hi: number): number => {
    if (v === undefined || v === null) return def;
    let n = num(v);
    if (n < 0) n += len;
    return Math.min(Math.max(n, lo), hi);
  };
  const out: number[] = [];
  if (st > 0) {
    const a = norm(start, 0, 0, len);
    const b = norm(stop, len, 0, len);
    for (let i = a; i < b; i += st) out.push(i);
  } else {
    const a = norm(start, len - 1, -1, len - 1);
    const b = norm(stop, -1, -1, len - 1);
    for (let i = a; i > b; i += st) out.push(i);
  }
  return out;
}

/** `ast.literal_eval` of Python literal syntax: strings, numbers, lists, tuples, dicts, sets, True/False/None. */
export function literalEval(text: string): unknown {
  const p = new LiteralParser(text);
  p.ws();
  const v = p.value();
  p.ws();
  if (p.i < text.length) p.fail("unexpected text after the value");
  return v;
}

class LiteralParser {
  i = 0;
  constructor(readonly s: string) {}

  fail(why: string): never {
    throw new ModelmapError("input", `not a Python literal (${why} at offset ${this.i}): ${this.s.slice(0, 120)}`);
  }

  ws(): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i] as string;
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f") this.i++;
      else if (c === "\\" && this.s[this.i + 1] === "\n") this.i += 2;
      else break;
    }
  }

  value(): unknown {
    const c = this.s[this.i];
    if (c === "[") return this.seq("]");
    if (c === "(") {
      const items = this.seq(")", true);
      return items;
    }
    if (c === "{") return this.dict();
    if (c === "-" || c === "+") {
      this.i++;
      this.ws();
      const v = this.value();
      if (!isNumber(v)) this.fail("a sign before a non-number");
      if (c === "+") return v;
      return v instanceof PyFloat ? new PyFloat(-v.value) : -(v as number);
    }
    const m = /^(?:[rRbBuU]|[rR][bB]|[bB][rR])?(?='|")/.exec(this.s.slice(this.i, this.i + 3));
    if (m) {
      let out = this.str();
      this.ws();
      // Adjacent string literals concatenate.
      while (/^(?:[rRbBuU]|[rR][bB]|[bB][rR])?['"]/.test(this.s.slice(this.i, this.i + 3))) {
        out += this.str();
        this.ws();
      }
      return out;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))?.[0];
    if (word !== undefined) {
      this.i += word.length;
      if (word === "True") return true;
      if (word === "False") return false;
      if (word === "None") return null;
      this.fail(`name '${word}'`);
    }
    const n = /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?\.?)/.exec(
      this.s.slice(this.i),
    )?.[0];
    if (n) {
      this.i += n.length;
      const t = n.replace(/_/g, "");
      if (/^0[xob]/i.test(t)) return Number(t.toLowerCase());
      if (/[.eE]/.test(t)) return toFloat(Number(t));
      return Number(t);
    }
    this.fail("expected a value");
  }

  seq(close: string, tuple = false): unknown[] {
    this.i++;
    const items: unknown[] = [];
    let sawComma = false;
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        break;
      }
      items.push(this.value());
      this.ws();
      if (this.s[this.i] === ",") {
        sawComma = true;
        this.i++;
      } else if (this.s[this.i] !== close) this.fail(`expected ',' or '${close}'`);
    }
    if (tuple && items.length === 1 && !sawComma) return items[0] as unknown[];
    return tuple ? PyTuple.of2(items) : items;
  }

  dict(): unknown {
    this.i++;
    const out: Record<string, unknown> = {};
    const set: unknown[] = [];
    let isSet = false;
    for (;;) {
      this.ws();
      if (this.s[this.i] === "}") {
        this.i++;
        break;
      }
      const k = this.value();
      this.ws();
      if (this.s[this.i] === ":") {
        this.i++;
        this.ws();
        out[pyStr(k)] = this.value();
      } else {
        isSet = true;
        set.push(k);
      }
      this.ws();
      if (this.s[this.i] === ",") this.i++;
      else if (this.s[this.i] !== "}") this.fail("expected ',' or '}'");
    }
    return isSet ? set : out;
  }

  str(): string {
    let raw = false;
    while (/[rRbBuU]/.test(this.s[this.i] ?? "")) {
      if (/[rR]/.test(this.s[this.i] as string)) raw = true;
      this.i++;
    }
    const q = this.s[this.i] as string;
    const triple = this.s.slice(this.i, this.i + 3) === q.repeat(3);
    const delim = triple ? q.repeat(3) : q;
    this.i += delim.length;
    let out = "";
    for (;;) {
      if (this.i >= this.s.length) this.fail("unterminated string");
      if (this.s.startsWith(delim, this.i)) {
        this.i += delim.length;
        return out;
      }
      const c = this.s[this.i] as string;
      if (c === "\n" && !triple) this.fail("newline in a string");
      if (c !== "\\") {
        out += c;
        this.i++;
        continue;
      }
      const e = this.s[this.i + 1] ?? "";
      if (raw) {
        out += c + e;
        this.i += 2;
        continue;
      }
      this.i += 2;
      const simple: Record<string, string> = {
        "\n": "",
        "\\": "\\",
        "'": "'",
        '"': '"',
        a: "\x07",
        b: "\b",
        f: "\f",
        n: "\n",
        r: "\r",
        t: "\t",
        v: "\v",
      };
      const sv = simple[e];
      if (sv !== undefined) out += sv;
      else if (e === "x" || e === "u" || e === "U") {
        const len = e === "x" ? 2 : e === "u" ? 4 : 8;
        const hex = this.s.slice(this.i, this.i + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) this.fail(`bad \\${e} escape`);
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        this.i += len;
      } else if (/[0-7]/.test(e)) {
        let oct = e;
        while (oct.length < 3 && /[0-7]/.test(this.s[this.i] ?? "")) oct += this.s[this.i++];
        out += String.fromCodePoint(Number.parseInt(oct, 8));
      } else out += `\\${e}`;
    }
  }
}

function jsonStr(s: string, ensureAscii: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i] as string;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (c < 0x20 || (ensureAscii && c > 0x7e)) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Python's `json.dumps` (default separators; `indent` as Python's). */
export function pyJsonDumps(
  v: unknown,
  opts: { ensureAscii?: boolean; sortKeys?: boolean; indent?: number | undefined } = {},
  depth = 0,
): string {
  const ensureAscii = opts.ensureAscii ?? true;
  const nl = opts.indent === undefined ? "" : `\n${" ".repeat(opts.indent * (depth + 1))}`;
  const close = opts.indent === undefined ? "" : `\n${" ".repeat(opts.indent * depth)}`;
  const sep = opts.indent === undefined ? ", " : ",";
  if (v === null || v === undefined) return "null";
  if (v === true) return "true";
  if (v === false) return "false";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
    return Number.isInteger(v) ? String(v) : floatRepr(v);
  }
  if (v instanceof PyFloat) return pyJsonDumps(v.value, opts, depth).replace(/^(-?\d+)$/, "$1.0");
  if (typeof v === "string") return jsonStr(v, ensureAscii);
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[${nl}${v.map((x) => pyJsonDumps(x, opts, depth + 1)).join(sep + nl)}${close}]`;
  }
  if (isDict(v)) {
    let keys = Object.keys(v);
    if (keys.length === 0) return "{}";
    if (opts.sortKeys) keys = [...keys].sort((a, b) => compareCodePoints(a, b));
    return `{${nl}${keys.map((k) => `${jsonStr(k, ensureAscii)}: ${pyJsonDumps(v[k], opts, depth + 1)}`).join(sep + nl)}${close}}`;
  }
  throw new TypeError(`Object of type ${typeName(v)} is not JSON serializable`);
}
