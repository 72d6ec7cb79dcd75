/**
 * Python's `ast.literal_eval` for the literals lm-eval's datasets store as text (MuSR's `choices` is the repr of
 * a list of strings): str and bytes-free string literals with every escape and prefix Python accepts, adjacent
 * string concatenation, int, float, True/False/None, lists, tuples, sets-free dicts, unary minus.
 * Tuples come back as arrays. Anything else is a ValueError-like error, as `literal_eval` raises.
 */
import { ModelmapError } from "../../core/errors.ts";

class LiteralParser {
  private i = 0;

  constructor(private readonly s: string) {}

  fail(msg: string): never {
    throw new ModelmapError(
      "input",
      `ast.literal_eval: malformed node or string (${msg}) in ${JSON.stringify(this.s.slice(0, 80))}`,
    );
  }

  private ws(): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i] as string;
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f") this.i++;
      else if (c === "\\" && this.s[this.i + 1] === "\n") this.i += 2;
      else if (c === "#") while (this.i < this.s.length && this.s[this.i] !== "\n") this.i++;
      else break;
    }
  }

  parseTop(): unknown {
    this.ws();
    const v = this.value();
    this.ws();
    if (this.i < this.s.length) this.fail(`unexpected ${JSON.stringify(this.s[this.i])}`);
    return v;
  }

  private value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) this.fail("unexpected end");
    if (c === "[") return this.seq("]");
    if (c === "(") {
      this.i++;
      this.ws();
      if (this.s[this.i] === ")") {
        this.i++;
        return [];
      }
      const first = this.value();
      this.ws();
      if (this.s[this.i] === ")") {
        this.i++;
        return first; // parenthesised expression, not a tuple
      }
      if (this.s[this.i] !== ",") this.fail("expected ',' or ')'");
      return this.seqAfterFirst(")", first);
    }
    if (c === "{") return this.dict();
    if (c === "-" || c === "+") {
      this.i++;
      const v = this.value();
      if (typeof v !== "number") this.fail("unary sign on a non-number");
      return c === "-" ? -v : v;
    }
    if (/[0-9.]/.test(c)) return this.number();
    const str = this.strings();
    if (str !== null) return str;
    for (const [word, v] of [
      ["True", true],
      ["False", false],
      ["None", null],
    ] as const) {
      if (this.s.startsWith(word, this.i) && !/[A-Za-z0-9_]/.test(this.s[this.i + word.length] ?? "")) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail(`unexpected ${JSON.stringify(c)}`);
  }

  private seq(close: string): unknown[] {
    this.i++;
    return this.items(close, []);
  }

  private seqAfterFirst(close: string, first: unknown): unknown[] {
    this.i++; // the comma after the first item
    return this.items(close, [first]);
  }

  /** Comma-separated values up to `close` (a trailing comma allowed), appended to `out`. */
  private items(close: string, out: unknown[]): unknown[] {
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.ws();
      if (this.s[this.i] === ",") this.i++;
      else if (this.s[this.i] !== close) this.fail(`expected ',' or '${close}'`);
    }
  }

  private dict(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    for (;;) {
      this.ws();
      if (this.s[this.i] === "}") {
        this.i++;
        return out;
      }
      const k = this.value();
      this.ws();
      if (this.s[this.i] !== ":") this.fail("expected ':' in a dict (sets are not supported)");
      this.i++;
      out[String(k)] = this.value();
      this.ws();
      if (this.s[this.i] === ",") this.i++;
      else if (this.s[this.i] !== "}") this.fail("expected ',' or '}'");
    }
  }

  private number(): number {
    const m = /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?)/.exec(
      this.s.slice(this.i),
    );
    const text = m?.[0] ?? "";
    if (!text || text === ".") this.fail("bad number");
    this.i += text.length;
    const t = text.replace(/_/g, "");
    if (/^0[xX]/.test(t)) return Number.parseInt(t.slice(2), 16);
    if (/^0[oO]/.test(t)) return Number.parseInt(t.slice(2), 8);
    if (/^0[bB]/.test(t)) return Number.parseInt(t.slice(2), 2);
    return Number(t);
  }

  /** One or more adjacent string literals (concatenated), or null when none starts here. */
  private strings(): string | null {
    let out: string | null = null;
    for (;;) {
      this.ws();
      const m = /^([rRuU]|[fF])?(['"])/.exec(this.s.slice(this.i));
      if (!m) return out;
      const prefix = (m[1] ?? "").toLowerCase();
      if (prefix === "f") this.fail("f-strings are not literals");
      this.i += (m[1] ?? "").length;
      out = (out ?? "") + this.string(prefix === "r");
    }
  }

  private string(raw: boolean): string {
    const q = this.s[this.i] as string;
    const triple = this.s.startsWith(q.repeat(3), this.i);
    const end = triple ? q.repeat(3) : q;
    this.i += end.length;
    let out = "";
    for (;;) {
      if (this.i >= this.s.length) this.fail("unterminated string");
      if (this.s.startsWith(end, this.i)) {
        this.i += end.length;
        return out;
      }
      const c = this.s[this.i] as string;
      if (c === "\n" && !triple) this.fail("newline in a string");
      if (c !== "\\") {
        out += c;
        this.i++;
        continue;
      }
      const e = this.s[this.i + 1];
      if (e === undefined) this.fail("unterminated string");
      if (raw) {
        out += `\\${e}`;
        this.i += 2;
        continue;
      }
      this.i += 2;
      switch (e) {
        case "\n":
          break;
        case "\\":
        case "'":
        case '"':
          out += e;
          break;
        case "a":
          out += "\x07";
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case "n":
          out += "\n";
          break;
        case "r":
          out += "\r";
          break;
        case "t":
          out += "\t";
          break;
        case "v":
          out += "\v";
          break;
        case "x":
        case "u":
        case "U": {
          const n = e === "x" ? 2 : e === "u" ? 4 : 8;
          const h = this.s.slice(this.i, this.i + n);
          if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) this.fail(`truncated \\${e} escape`);
          out += String.fromCodePoint(Number.parseInt(h, 16));
          this.i += n;
          break;
        }
        case "N":
          this.fail("\\N{...} escapes are not supported");
          break;
        default:
          if (/[0-7]/.test(e)) {
            let oct = e;
            while (oct.length < 3 && /[0-7]/.test(this.s[this.i] ?? "")) oct += this.s[this.i++];
            out += String.fromCodePoint(Number.parseInt(oct, 8));
          } else out += `\\${e}`; // unknown escapes keep the backslash
      }
    }
  }
}

export function pyLiteralEval(s: string): unknown {
  return new LiteralParser(s).parseTop();
}
