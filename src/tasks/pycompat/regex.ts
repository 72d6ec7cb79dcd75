/**
 * Python `re` patterns, run on JavaScript's RegExp with Python's meaning. lm-eval's YAMLs and hooks are written
 * for `re`, whose syntax and semantics differ from JS in ways that change answers:
 * - `\d`, `\w`, `\s`, `\b` are Unicode-aware in Python (JS: ASCII), and Python's whitespace set differs;
 * - `.` excludes only `\n` (JS also excludes `\r`, U+2028, U+2029); `$` also matches before a final `\n`;
 * - `(?P<name>...)`, `(?P=name)`, inline flags `(?i)`/`(?s:...)`, `\A`, `\Z`, `{,n}`, literal `{`, `]`;
 * - identity escapes such as `\,` or `\-` outside a class, which JS's `u` mode rejects.
 * The pattern is parsed as CPython's `sre_parse` does and re-emitted as a `u`-mode JS pattern; what cannot be
 * expressed (atomic groups, possessive quantifiers, conditionals, `\N{...}`) is a clear error, never a silent
 * change of meaning.
 */
import { ModelmapError } from "../../core/errors.ts";
import { PY_WHITESPACE_CLASS } from "./str.ts";

export interface PyRegexFlags {
  ignoreCase?: boolean;
  multiline?: boolean;
  dotAll?: boolean;
  verbose?: boolean;
  /** `re.ASCII`: `\d\w\s\b` match ASCII only. */
  ascii?: boolean;
}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  x: boolean;
  a: boolean;
}

const WORD = "\\p{L}\\p{N}_";
const ASCII_WORD = "A-Za-z0-9_";
const SYNTAX = new Set(["^", "$", "\\", ".", "*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "/"]);
const CLASS_SPECIAL = new Set(["\\", "]", "[", "-", "^"]);
const OCT = /^[0-7]$/;
const DIGIT = /^[0-9]$/;
const HEX = /^[0-9a-fA-F]$/;

export class PyRegexError extends ModelmapError {}

function fail(pattern: string, msg: string): never {
  throw new PyRegexError("input", `Python regex ${JSON.stringify(pattern)}: ${msg}`);
}

/** A class item: either code point range(s) in JS class syntax, or a negated shorthand that needs alternation. */
interface ClassParts {
  positive: string[];
  /** JS (non-class) atoms for negated Unicode shorthands (`\W`, `\S`) that a JS class cannot hold. */
  negatedAtoms: string[];
}

class Translator {
  private pos = 0;
  private readonly chars: string[];
  groupCount = 0;
  readonly groupNames: string[] = [];
  globalFlags: Flags;

  constructor(
    private readonly pattern: string,
    flags: Flags,
  ) {
    this.chars = Array.from(pattern);
    this.globalFlags = flags;
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.pos + offset];
  }

  private next(): string {
    const c = this.chars[this.pos];
    if (c === undefined) fail(this.pattern, "unexpected end of pattern");
    this.pos++;
    return c;
  }

  private eof(): boolean {
    return this.pos >= this.chars.length;
  }

  /** Leading global inline flags `(?aiLmsux)`, as many groups as there are. */
  parseGlobalFlags(): void {
    for (;;) {
      const m = /^\(\?([aiLmsux]+)\)/.exec(this.chars.slice(this.pos).join(""));
      if (!m?.[1]) return;
      for (const f of m[1]) this.setFlag(this.globalFlags, f, true);
      this.pos += m[0].length;
    }
  }

  private setFlag(flags: Flags, f: string, on: boolean): void {
    if (f === "i") flags.i = on;
    else if (f === "m") flags.m = on;
    else if (f === "s") flags.s = on;
    else if (f === "x") flags.x = on;
    else if (f === "a") flags.a = on;
    else if (f === "u")
      return; // re.UNICODE is the default for str patterns
    else if (f === "L") fail(this.pattern, "the LOCALE flag is not supported");
  }

  /** Skips whitespace and `#` comments in verbose mode. */
  private skipVerbose(flags: Flags): void {
    if (!flags.x) return;
    for (;;) {
      const c = this.peek();
      if (c === undefined) return;
      if (" \t\n\r\v\f".includes(c)) {
        this.pos++;
        continue;
      }
      if (c === "#") {
        while (!this.eof() && this.peek() !== "\n") this.pos++;
        continue;
      }
      return;
    }
  }

  /** alternation := sequence ('|' sequence)* */
  parseAlternation(flags: Flags, depth: number): string {
    const parts: string[] = [this.parseSequence(flags, depth)];
    while (this.peek() === "|") {
      this.pos++;
      parts.push(this.parseSequence(flags, depth));
    }
    return parts.join("|");
  }

  private parseSequence(flags: Flags, depth: number): string {
    let out = "";
    for (;;) {
      this.skipVerbose(flags);
      const c = this.peek();
      if (c === undefined || c === "|") return out;
      if (c === ")") {
        if (depth === 0) fail(this.pattern, `unbalanced parenthesis at position ${this.pos}`);
        return out;
      }
      const atom = this.parseAtom(flags, depth);
      if (atom === null) continue; // comment group or similar: nothing to repeat
      this.skipVerbose(flags);
      out += atom + this.parseQuantifier(atom);
    }
  }

  private parseQuantifier(atom: string): string {
    const c = this.peek();
    let q = "";
    if (c === "*" || c === "+" || c === "?") {
      this.pos++;
      q = c;
    } else if (c === "{") {
      const here = this.pos;
      this.pos++;
      if (this.peek() === "}") {
        this.pos = here;
        return "";
      }
      let lo = "";
      let hi = "";
      while (this.peek() !== undefined && DIGIT.test(this.peek() as string)) lo += this.next();
      let comma = false;
      if (this.peek() === ",") {
        this.pos++;
        comma = true;
        while (this.peek() !== undefined && DIGIT.test(this.peek() as string)) hi += this.next();
      } else hi = lo;
      if (this.peek() !== "}") {
        this.pos = here;
        return "";
      }
      this.pos++;
      const min = lo === "" ? "0" : String(Number(lo));
      const max = hi === "" ? "" : String(Number(hi));
      if (max !== "" && Number(max) < Number(min)) fail(this.pattern, "min repeat greater than max repeat");
      q = comma ? `{${min},${max}}` : `{${min}}`;
    } else return "";
    if (atom === "") fail(this.pattern, "nothing to repeat");
    if (this.peek() === "?") {
      this.pos++;
      q += "?";
    } else if (this.peek() === "+") {
      fail(this.pattern, "possessive quantifiers are not supported in JavaScript");
    }
    // A quantifier directly after a quantifier is "multiple repeat" in Python.
    const after = this.peek();
    if (after === "*" || after === "+" || after === "?") fail(this.pattern, "multiple repeat");
    return q;
  }

  /** One atom; returns null for constructs that produce nothing (comments). */
  private parseAtom(flags: Flags, depth: number): string | null {
    const c = this.next();
    switch (c) {
      case ".":
        return flags.s ? "[\\s\\S]" : "[^\\n]";
      case "^":
        return flags.m ? "(?:(?<![\\s\\S])|(?<=\\n))" : "(?<![\\s\\S])";
      case "$":
        return flags.m ? "(?=\\n|(?![\\s\\S]))" : "(?=\\n?(?![\\s\\S]))";
      case "[":
        return this.parseClass(flags);
      case "(":
        return this.parseGroup(flags, depth);
      case "\\":
        return this.parseEscape(flags);
      case "*":
      case "+":
      case "?":
        fail(this.pattern, "nothing to repeat");
        break;
      case "{": {
        // A `{` that starts no valid repeat is a literal in Python; as an atom it is always literal here.
        return "\\{";
      }
      default:
        return this.literal(c, flags);
    }
    return "";
  }

  private literal(c: string, flags: Flags): string {
    if (flags.i && !this.globalFlags.i) {
      const lower = c.toLowerCase();
      const upper = c.toUpperCase();
      if (lower !== upper && Array.from(lower).length === 1 && Array.from(upper).length === 1) {
        return `[${classChar(lower)}${classChar(upper)}]`;
      }
    }
    return SYNTAX.has(c) ? `\\${c}` : c;
  }

  private parseGroup(flags: Flags, depth: number): string | null {
    if (this.peek() !== "?") {
      this.groupCount++;
      const body = this.parseAlternation({ ...flags }, depth + 1);
      this.expect(")");
      return `(${body})`;
    }
    this.pos++;
    const c = this.next();
    if (c === ":") return this.finishGroup("(?:", flags, depth);
    if (c === "=") return this.finishGroup("(?=", flags, depth);
    if (c === "!") return this.finishGroup("(?!", flags, depth);
    if (c === "#") {
      while (!this.eof() && this.peek() !== ")") this.pos++;
      this.expect(")");
      return null;
    }
    if (c === "<") {
      const d = this.next();
      if (d === "=") return this.finishGroup("(?<=", flags, depth);
      if (d === "!") return this.finishGroup("(?<!", flags, depth);
      fail(this.pattern, `unknown extension ?<${d}`);
    }
    if (c === "P") {
      const d = this.next();
      if (d === "<") {
        const name = this.readName(">");
        this.groupCount++;
        this.groupNames.push(name);
        return this.finishGroup(`(?<${name}>`, flags, depth);
      }
      if (d === "=") {
        const name = this.readName(")");
        if (!this.groupNames.includes(name)) fail(this.pattern, `unknown group name '${name}'`);
        return `\\k<${name}>`;
      }
      fail(this.pattern, `unknown extension ?P${d}`);
    }
    if (c === ">") fail(this.pattern, "atomic groups (?>...) are not supported in JavaScript");
    if (c === "(") fail(this.pattern, "conditional groups (?(...)...) are not supported in JavaScript");
    // Scoped flags: (?flags:...) or (?flags-flags:...).
    this.pos--;
    const local = { ...flags };
    let on = true;
    for (;;) {
      const f = this.next();
      if (f === ":") break;
      if (f === ")") fail(this.pattern, "global flags not at the start of the expression");
      if (f === "-") {
        on = false;
        continue;
      }
      if (!"aimsux".includes(f)) fail(this.pattern, `unknown flag '${f}'`);
      if (f === "i" && !on && this.globalFlags.i) {
        fail(this.pattern, "turning IGNORECASE off in part of a pattern is not supported in JavaScript");
      }
      this.setFlag(local, f, on);
    }
    return this.finishGroup("(?:", local, depth);
  }

  private finishGroup(open: string, flags: Flags, depth: number): string {
    const body = this.parseAlternation({ ...flags }, depth + 1);
    this.expect(")");
    return `${open}${body})`;
  }

  private readName(end: string): string {
    let name = "";
    while (this.peek() !== end) name += this.next();
    this.pos++;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(this.pattern, `bad character in group name '${name}'`);
    return name;
  }

  private expect(c: string): void {
    if (this.peek() !== c) fail(this.pattern, `missing ${c}, unterminated subpattern`);
    this.pos++;
  }

  private wordClass(flags: Flags): string {
    return flags.a ? ASCII_WORD : WORD;
  }

  private parseEscape(flags: Flags): string {
    const c = this.next();
    const w = this.wordClass(flags);
    switch (c) {
      case "d":
        return flags.a ? "[0-9]" : "\\p{Nd}";
      case "D":
        return flags.a ? "[^0-9]" : "\\P{Nd}";
      case "w":
        return `[${w}]`;
      case "W":
        return `[^${w}]`;
      case "s":
        return flags.a ? "[ \\t\\n\\r\\f\\v]" : `[${PY_WHITESPACE_CLASS}]`;
      case "S":
        return flags.a ? "[^ \\t\\n\\r\\f\\v]" : `[^${PY_WHITESPACE_CLASS}]`;
      case "b":
        return `(?:(?<=[${w}])(?![${w}])|(?<![${w}])(?=[${w}]))`;
      case "B":
        return `(?:(?<=[${w}])(?=[${w}])|(?<![${w}])(?![${w}]))`;
      case "A":
        return "(?<![\\s\\S])";
      case "Z":
        return "(?![\\s\\S])";
      default: {
        if (DIGIT.test(c)) {
          const d = this.digitEscape(c, false);
          return "group" in d ? `(?:\\${d.group})` : this.literal(String.fromCodePoint(d.cp), flags);
        }
        const cp = this.simpleEscape(c);
        return this.literal(String.fromCodePoint(cp), flags);
      }
    }
  }

  /** `\0`, octal escapes and back-references, as sre_parse reads them: a code point or a group number. */
  private digitEscape(first: string, inClass: boolean): { cp: number } | { group: number } {
    if (first === "0") {
      let oct = "0";
      for (let k = 0; k < 2 && this.peek() !== undefined && OCT.test(this.peek() as string); k++) oct += this.next();
      return { cp: Number.parseInt(oct, 8) };
    }
    const second = this.peek();
    const third = this.peek(1);
    if (OCT.test(first) && second !== undefined && OCT.test(second) && third !== undefined && OCT.test(third)) {
      this.pos += 2;
      const v = Number.parseInt(first + second + third, 8);
      if (v > 0o377) fail(this.pattern, `octal escape value \\${first}${second}${third} outside of range 0-0o377`);
      return { cp: v };
    }
    if (inClass) {
      if (OCT.test(first)) {
        let oct = first;
        if (second !== undefined && OCT.test(second)) oct += this.next();
        return { cp: Number.parseInt(oct, 8) };
      }
      fail(this.pattern, `bad escape \\${first}`);
    }
    let num = first;
    if (second !== undefined && DIGIT.test(second)) {
      num += second;
      this.pos++;
    }
    const n = Number(num);
    if (n > this.groupCount) fail(this.pattern, `invalid group reference ${n}`);
    return { group: n };
  }

  /** Escapes that stand for one character: returns its code point, or fails for unknown ASCII-letter escapes. */
  private simpleEscape(c: string): number {
    switch (c) {
      case "n":
        return 10;
      case "t":
        return 9;
      case "r":
        return 13;
      case "f":
        return 12;
      case "v":
        return 11;
      case "a":
        return 7;
      case "x":
        return this.hexDigits(2, c);
      case "u":
        return this.hexDigits(4, c);
      case "U": {
        const v = this.hexDigits(8, c);
        if (v > 0x10ffff) fail(this.pattern, `bad escape \\U: code point out of range`);
        return v;
      }
      case "N":
        fail(this.pattern, "\\N{...} named characters are not supported");
        break;
      default:
        if (/^[A-Za-z]$/.test(c)) fail(this.pattern, `bad escape \\${c}`);
        return c.codePointAt(0) as number;
    }
    return 0;
  }

  private hexDigits(n: number, kind: string): number {
    let h = "";
    for (let k = 0; k < n; k++) {
      const d = this.peek();
      if (d === undefined || !HEX.test(d)) fail(this.pattern, `incomplete escape \\${kind}${h}`);
      h += this.next();
    }
    return Number.parseInt(h, 16);
  }

  private parseClass(flags: Flags): string {
    let negated = false;
    if (this.peek() === "^") {
      this.pos++;
      negated = true;
    }
    const parts: ClassParts = { positive: [], negatedAtoms: [] };
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) fail(this.pattern, "unterminated character set");
      if (c === "]" && !first) {
        this.pos++;
        break;
      }
      first = false;
      const lo = this.classItem(flags, parts);
      if (lo === null) continue; // a shorthand like \d, already added
      // A range `lo-hi` unless the '-' is last.
      if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== undefined) {
        this.pos++;
        const hiStart = this.pos;
        const hi = this.classItem(flags, parts);
        if (hi === null) fail(this.pattern, `bad character range at position ${hiStart}`);
        if (hi < lo) fail(this.pattern, "bad character range");
        this.addRange(parts, lo, hi, flags);
      } else this.addRange(parts, lo, lo, flags);
    }
    const body = parts.positive.join("");
    if (parts.negatedAtoms.length === 0) return negated ? `[^${body}]` : body === "" ? "[]" : `[${body}]`;
    const alts = [...(body ? [`[${body}]`] : []), ...parts.negatedAtoms].join("|");
    return negated ? `(?:(?!${alts})[\\s\\S])` : `(?:${alts})`;
  }

  private addRange(parts: ClassParts, lo: number, hi: number, flags: Flags): void {
    const a = String.fromCodePoint(lo);
    const b = String.fromCodePoint(hi);
    parts.positive.push(lo === hi ? classChar(a) : `${classChar(a)}-${classChar(b)}`);
    if (flags.i && !this.globalFlags.i) {
      // Scoped IGNORECASE: add the other case of single letters and of ASCII letter ranges.
      if (lo === hi) {
        for (const v of [a.toLowerCase(), a.toUpperCase()]) {
          if (v !== a && Array.from(v).length === 1) parts.positive.push(classChar(v));
        }
      } else if (/^[a-z]$/.test(a) && /^[a-z]$/.test(b)) {
        parts.positive.push(`${a.toUpperCase()}-${b.toUpperCase()}`);
      } else if (/^[A-Z]$/.test(a) && /^[A-Z]$/.test(b)) {
        parts.positive.push(`${a.toLowerCase()}-${b.toLowerCase()}`);
      } else {
        fail(this.pattern, "a non-letter range under a scoped (?i:...) flag is not supported");
      }
    }
  }

  /** One class member: a code point, or null when it was a shorthand class added to `parts`. */
  private classItem(flags: Flags, parts: ClassParts): number | null {
    const c = this.next();
    if (c !== "\\") return c.codePointAt(0) as number;
    const e = this.next();
    const w = this.wordClass(flags);
    switch (e) {
      case "d":
        parts.positive.push(flags.a ? "0-9" : "\\p{Nd}");
        return null;
      case "D":
        if (flags.a) parts.negatedAtoms.push("[^0-9]");
        else parts.positive.push("\\P{Nd}");
        return null;
      case "w":
        parts.positive.push(w);
        return null;
      case "W":
        parts.negatedAtoms.push(`[^${w}]`);
        return null;
      case "s":
        parts.positive.push(flags.a ? " \\t\\n\\r\\f\\v" : PY_WHITESPACE_CLASS);
        return null;
      case "S":
        parts.negatedAtoms.push(flags.a ? "[^ \\t\\n\\r\\f\\v]" : `[^${PY_WHITESPACE_CLASS}]`);
        return null;
      case "b":
        return 8;
      default: {
        if (DIGIT.test(e)) {
          const d = this.digitEscape(e, true);
          return "cp" in d ? d.cp : fail(this.pattern, `bad escape \\${e}`);
        }
        if (e === "A" || e === "Z" || e === "B") fail(this.pattern, `bad escape \\${e} in a character set`);
        return this.simpleEscape(e);
      }
    }
  }
}

/** A code point as a JS class member (escaped where u-mode requires it). */
function classChar(ch: string): string {
  if (CLASS_SPECIAL.has(ch)) return `\\${ch}`;
  const cp = ch.codePointAt(0) as number;
  if (cp < 0x20 || cp === 0x7f) return charEscape(cp);
  return ch;
}

function charEscape(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

export interface TranslatedRegex {
  source: string;
  flags: string;
  groupCount: number;
  groupNames: string[];
}

/** Translates a Python `re` pattern to an equivalent JS (`u`-mode) source and flags. */
export function translatePyRegex(pattern: string, pyFlags: PyRegexFlags = {}): TranslatedRegex {
  const flags: Flags = {
    i: pyFlags.ignoreCase ?? false,
    m: pyFlags.multiline ?? false,
    s: pyFlags.dotAll ?? false,
    x: pyFlags.verbose ?? false,
    a: pyFlags.ascii ?? false,
  };
  const t = new Translator(pattern, flags);
  t.parseGlobalFlags();
  const source = t.parseAlternation({ ...t.globalFlags }, 0);
  return { source, flags: t.globalFlags.i ? "iu" : "u", groupCount: t.groupCount, groupNames: t.groupNames };
}

/** A compiled Python pattern with Python's `findall`, `search`, `sub` and `split`. */
export class PyPattern {
  readonly regex: RegExp;
  readonly groupCount: number;

  constructor(
    readonly pattern: string,
    flags: PyRegexFlags = {},
  ) {
    const t = translatePyRegex(pattern, flags);
    try {
      this.regex = new RegExp(t.source, `${t.flags}g`);
    } catch (e) {
      throw new PyRegexError("input", `Python regex ${JSON.stringify(pattern)}: ${(e as Error).message}`);
    }
    this.groupCount = t.groupCount;
  }

  private *matches(s: string): Generator<RegExpExecArray> {
    const re = new RegExp(this.regex.source, this.regex.flags);
    for (;;) {
      const m = re.exec(s);
      if (!m) return;
      yield m;
      if (m[0] === "") {
        const cp = s.codePointAt(re.lastIndex);
        re.lastIndex += cp !== undefined && cp > 0xffff ? 2 : 1;
        if (re.lastIndex > s.length) return;
      }
    }
  }

  /** `re.findall`: whole matches without groups, group 1 with one group, tuples (arrays) with several. */
  findall(s: string): Array<string | string[]> {
    const out: Array<string | string[]> = [];
    for (const m of this.matches(s)) {
      if (this.groupCount === 0) out.push(m[0]);
      else if (this.groupCount === 1) out.push(m[1] ?? "");
      else out.push(m.slice(1, this.groupCount + 1).map((g) => g ?? ""));
    }
    return out;
  }

  /** `re.search`: the first match (null if none). */
  search(s: string): RegExpExecArray | null {
    const re = new RegExp(this.regex.source, this.regex.flags.replace("g", ""));
    return re.exec(s);
  }

  /** `re.match`: a match anchored at the start. */
  match(s: string): RegExpExecArray | null {
    const re = new RegExp(this.regex.source, this.regex.flags.replace("g", "y"));
    re.lastIndex = 0;
    return re.exec(s);
  }

  /** `re.sub(pattern, repl, s, count)`; a string `repl` is a Python template (`\1`, `\g<name>`, `\n`). */
  sub(repl: string | ((m: RegExpExecArray) => string), s: string, count = 0): string {
    const render = typeof repl === "string" ? compileTemplate(repl, this.pattern, this.groupCount) : repl;
    let out = "";
    let last = 0;
    let n = 0;
    for (const m of this.matches(s)) {
      if (count > 0 && n >= count) break;
      out += s.slice(last, m.index) + render(m);
      last = m.index + m[0].length;
      n++;
    }
    return out + s.slice(last);
  }

  /** `re.split(pattern, s)`: with groups, the groups are included as Python does (`None` as undefined -> ""). */
  split(s: string): string[] {
    const out: string[] = [];
    let last = 0;
    for (const m of this.matches(s)) {
      out.push(s.slice(last, m.index));
      for (let g = 1; g <= this.groupCount; g++) out.push(m[g] ?? "");
      last = m.index + m[0].length;
    }
    out.push(s.slice(last));
    return out;
  }
}

/** Parses a Python replacement template into a function of the match. */
function compileTemplate(repl: string, pattern: string, groupCount: number): (m: RegExpExecArray) => string {
  const parts: Array<string | number | { name: string }> = [];
  let lit = "";
  const chars = Array.from(repl);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c !== "\\") {
      lit += c;
      continue;
    }
    const e = chars[++i];
    if (e === undefined) fail(pattern, "bad escape (end of replacement template)");
    if (e === "g") {
      if (chars[i + 1] !== "<") fail(pattern, "missing < in \\g<...> of the replacement");
      let name = "";
      i += 2;
      while (i < chars.length && chars[i] !== ">") name += chars[i++];
      if (lit) parts.push(lit);
      lit = "";
      if (/^\d+$/.test(name)) {
        if (Number(name) > groupCount) fail(pattern, `invalid group reference ${name} in the replacement`);
        parts.push(Number(name));
      } else parts.push({ name });
      continue;
    }
    if (e === "0") {
      let oct = "";
      for (let k = 0; k < 2 && chars[i + 1] !== undefined && OCT.test(chars[i + 1] as string); k++) oct += chars[++i];
      lit += String.fromCodePoint(Number.parseInt(oct || "0", 8));
      continue;
    }
    if (DIGIT.test(e)) {
      let num = e;
      const d2 = chars[i + 1];
      if (d2 !== undefined && DIGIT.test(d2)) {
        num += chars[++i];
        const d3 = chars[i + 1];
        if (OCT.test(e) && OCT.test(d2) && d3 !== undefined && OCT.test(d3)) {
          i++;
          const v = Number.parseInt(num + d3, 8);
          if (v > 0o377) fail(pattern, `octal escape value \\${num}${d3} outside of range 0-0o377`);
          lit += String.fromCodePoint(v);
          continue;
        }
      }
      if (Number(num) > groupCount) fail(pattern, `invalid group reference ${num} in the replacement`);
      if (lit) parts.push(lit);
      lit = "";
      parts.push(Number(num));
      continue;
    }
    const simple: Record<string, string> = {
      n: "\n",
      t: "\t",
      r: "\r",
      f: "\f",
      v: "\v",
      a: "\x07",
      b: "\b",
      "\\": "\\",
    };
    const s = simple[e];
    if (s !== undefined) lit += s;
    else if (/^[A-Za-z]$/.test(e)) fail(pattern, `bad escape \\${e} in the replacement`);
    else lit += `\\${e}`;
  }
  if (lit) parts.push(lit);
  return (m) => {
    let out = "";
    for (const p of parts) {
      if (typeof p === "string") out += p;
      else if (typeof p === "number") out += p === 0 ? m[0] : (m[p] ?? "");
      else out += m.groups?.[p.name] ?? "";
    }
    return out;
  };
}

const cache = new Map<string, PyPattern>();

/** `re.compile(pattern, flags)`, cached like Python's own pattern cache. */
export function pyCompile(pattern: string, flags: PyRegexFlags = {}): PyPattern {
  const key = `${flags.ignoreCase ? "i" : ""}${flags.multiline ? "m" : ""}${flags.dotAll ? "s" : ""}${flags.verbose ? "x" : ""}${flags.ascii ? "a" : ""}\u0000${pattern}`;
  let p = cache.get(key);
  if (!p) {
    p = new PyPattern(pattern, flags);
    if (cache.size > 1000) cache.clear();
    cache.set(key, p);
  }
  return p;
}

/** `re.sub(pattern, repl, s)`. */
export function pySub(pattern: string, repl: string, s: string, flags: PyRegexFlags = {}): string {
  return pyCompile(pattern, flags).sub(repl, s);
}

/** `re.findall(pattern, s)`. */
export function pyFindall(pattern: string, s: string, flags: PyRegexFlags = {}): Array<string | string[]> {
  return pyCompile(pattern, flags).findall(s);
}

/** `re.escape(s)` (Python 3.7+: only regex-special characters are escaped). */
export function pyEscape(s: string): string {
  let out = "";
  for (const ch of s) out += "()[]{}?*+-|^$\\.&~# \t\n\r\v\f".includes(ch) ? `\\${ch}` : ch;
  return out;
}
