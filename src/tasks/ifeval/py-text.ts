/**
 * Python's `str` and `re` semantics where they differ from JavaScript's, for the ports of IFEval's checkers,
 * NLTK's tokenizers and langdetect. The differences that change verdicts:
 * - `\s`, `str.strip()`, `str.split()`: Python's whitespace includes U+001C..U+001F and U+0085 and excludes U+FEFF.
 * - `\w` and `\b` are Unicode-aware in Python (letters, digits, numerics, `_`); JavaScript's `\w`/`\b` are ASCII.
 * - `\d` is any Unicode decimal digit in Python.
 * - `.` excludes only `\n` in Python (JavaScript also excludes `\r`, U+2028, U+2029).
 * - `$` without MULTILINE also matches before a final `\n`; with MULTILINE, `^`/`$` see only `\n` as a line end.
 * - Strings are sequences of code points, not UTF-16 units.
 */

/** Python's whitespace (`str.isspace()`, and `\s` in str patterns), as a character-class body. */
export const PY_WS_CHARS =
  "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
/** `\s` */
export const S = `[${PY_WS_CHARS}]`;
/** `\S` */
export const NS = `[^${PY_WS_CHARS}]`;
/** `\w` (Unicode letters and numbers, and `_`). */
export const W = "[\\p{L}\\p{N}_]";
/** `\W` */
export const NW = "[^\\p{L}\\p{N}_]";
/** `\d` */
export const D = "\\p{Nd}";
/** `.` without DOTALL. */
export const DOT = "[^\\n]";
/** `\b`: a boundary between a `\w` and a non-`\w` (or the text's edge). */
export const B = `(?:(?<=${W})(?!${W})|(?<!${W})(?=${W}))`;
/** `$` without MULTILINE: the end, or just before a final newline. */
export const END = "(?=\\n?(?![\\s\\S]))";
/** `^` with MULTILINE. */
export const ML_START = "(?<![^\\n])";
/** `$` with MULTILINE. */
export const ML_END = "(?![^\\n])";

const WS_RE = new RegExp(S, "u");
const LEADING_WS = new RegExp(`^${S}+`, "u");
const TRAILING_WS = new RegExp(`${S}+$`, "u");
const WS_RUNS = new RegExp(`${S}+`, "u");

export function isSpace(ch: string): boolean {
  return WS_RE.test(ch);
}

/** `s.strip()` with no argument. */
export function strip(s: string): string {
  return rstrip(s.replace(LEADING_WS, ""));
}

/** `s.rstrip()` with no argument. */
export function rstrip(s: string): string {
  return s.replace(TRAILING_WS, "");
}

/** `s.strip(chars)`, `s.lstrip(chars)`, `s.rstrip(chars)` with explicit characters. */
export function stripChars(s: string, chars: string, side: "both" | "left" | "right" = "both"): string {
  const set = new Set(Array.from(chars));
  const cps = Array.from(s);
  let start = 0;
  let end = cps.length;
  if (side !== "right") while (start < end && set.has(cps[start] as string)) start++;
  if (side !== "left") while (end > start && set.has(cps[end - 1] as string)) end--;
  return cps.slice(start, end).join("");
}

/** `s.split()` with no argument: runs of whitespace separate, empty strings are dropped. */
export function splitWhitespace(s: string): string[] {
  return s.split(WS_RUNS).filter((p) => p.length > 0);
}

const UPPER = /\p{Uppercase}/u;
const LOWER = /\p{Lowercase}/u;
const TITLE = /\p{Lt}/u;

/** `s.isupper()`: at least one cased character, and none lowercase or titlecase. */
export function isUpper(s: string): boolean {
  let cased = false;
  for (const ch of s) {
    if (LOWER.test(ch) || TITLE.test(ch)) return false;
    if (!cased && UPPER.test(ch)) cased = true;
  }
  return cased;
}

/** `s.islower()`: at least one cased character, and none uppercase or titlecase. */
export function isLower(s: string): boolean {
  let cased = false;
  for (const ch of s) {
    if (UPPER.test(ch) || TITLE.test(ch)) return false;
    if (!cased && LOWER.test(ch)) cased = true;
  }
  return cased;
}

/** The first code point of `s` (`s[0]` in Python), or "" for an empty string. */
export function firstChar(s: string): string {
  const cp = s.codePointAt(0);
  return cp === undefined ? "" : String.fromCodePoint(cp);
}

/** `len(s)` in code points. */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const SYNTAX = new Set(Array.from("^$\\.*+?()[]{}|/"));

/**
 * A JavaScript `RegExp` (flag `u`, plus `flags`) that matches what Python's `re` would for `pattern`, for the
 * patterns IFEval builds from its data (keywords, section and postscript markers): `\s \S \w \W \d \D \b \B`,
 * `.` and `$` get Python's meaning; everything else is passed through.
 */
export function pyRegex(pattern: string, flags = ""): RegExp {
  return new RegExp(pyRegexSource(pattern), `u${flags}`);
}

/** The JavaScript source for Python pattern `pattern` (see `pyRegex`). */
export function pyRegexSource(pattern: string): string {
  let out = "";
  let inClass = false;
  const cps = Array.from(pattern);
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i] as string;
    if (c === "\\" && i + 1 < cps.length) {
      const e = cps[++i] as string;
      const classBody: Record<string, string> = { s: PY_WS_CHARS, w: "\\p{L}\\p{N}_", d: "\\p{Nd}" };
      const outside: Record<string, string> = {
        s: S,
        S: NS,
        w: W,
        W: NW,
        d: D,
        D: "\\P{Nd}",
        b: B,
        B: `(?:(?<=${W})(?=${W})|(?<!${W})(?!${W}))`,
      };
      if (inClass && classBody[e]) out += classBody[e];
      else if (!inClass && outside[e]) out += outside[e];
      else if (/[\p{L}\p{N}]/u.test(e) || SYNTAX.has(e) || (inClass && e === "-")) out += `\\${e}`;
      else out += e;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      out += c;
    } else if (c === "[") {
      inClass = true;
      out += c;
      if (cps[i + 1] === "^") out += cps[++i];
      if (cps[i + 1] === "]") out += `\\${cps[++i]}`;
    } else if (c === ".") out += DOT;
    else if (c === "$") out += END;
    else out += c;
  }
  return out;
}
