/**
 * Python `str` methods whose results differ from their JavaScript look-alikes, for ports of lm-eval's hooks and
 * metrics: Python's whitespace is Unicode whitespace by `str.isspace()` (it includes U+001C..U+001F and U+0085,
 * JS's `trim()` does not, and JS trims U+FEFF, Python does not), `capitalize()` title-cases the first character,
 * and float formatting follows `repr()`. Strings are handled by code point, as Python indexes them.
 */

/** Every code point for which CPython 3.11's `str.isspace()` is true. */
const PY_WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
  0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** The same set as a regex character-class body (for `\s` in translated Python regexes). */
export const PY_WHITESPACE_CLASS =
  "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

export function isPySpace(ch: string): boolean {
  return PY_WHITESPACE.has(ch.codePointAt(0) ?? -1);
}

/** `s.strip()` / `s.strip(chars)`. */
export function pyStrip(s: string, chars?: string): string {
  return pyRstrip(pyLstrip(s, chars), chars);
}

export function pyLstrip(s: string, chars?: string): string {
  const drop = stripPredicate(chars);
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i) as number;
    if (!drop(cp)) break;
    i += cp > 0xffff ? 2 : 1;
  }
  return s.slice(i);
}

export function pyRstrip(s: string, chars?: string): string {
  const drop = stripPredicate(chars);
  let end = s.length;
  while (end > 0) {
    const low = s.charCodeAt(end - 1);
    const isPair = low >= 0xdc00 && low <= 0xdfff && end >= 2;
    const start = isPair ? end - 2 : end - 1;
    const cp = s.codePointAt(start) as number;
    if (!drop(cp)) break;
    end = start;
  }
  return s.slice(0, end);
}

function stripPredicate(chars: string | undefined): (cp: number) => boolean {
  if (chars === undefined) return (cp) => PY_WHITESPACE.has(cp);
  const set = new Set(Array.from(chars, (c) => c.codePointAt(0) as number));
  return (cp) => set.has(cp);
}

/** `s.split()` with no separator: runs of Python whitespace, no empty strings. */
export function pySplitWhitespace(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (const ch of s) {
    if (PY_WHITESPACE.has(ch.codePointAt(0) as number)) {
      if (cur) out.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** Title case of single characters where it differs from upper case (CPython 3.11, Unicode 14). */
const TITLE_SPECIAL: Record<number, string> = {
  223: "Ss",
  452: "ǅ",
  454: "ǅ",
  455: "ǈ",
  457: "ǈ",
  458: "ǋ",
  460: "ǋ",
  497: "ǲ",
  499: "ǲ",
  1415: "Եւ",
  8114: "Ὰͅ",
  8115: "ᾼ",
  8116: "Άͅ",
  8119: "ᾼ͂",
  8130: "Ὴͅ",
  8131: "ῌ",
  8132: "Ήͅ",
  8135: "ῌ͂",
  8178: "Ὼͅ",
  8179: "ῼ",
  8180: "Ώͅ",
  8183: "ῼ͂",
  64256: "Ff",
  64257: "Fi",
  64258: "Fl",
  64259: "Ffi",
  64260: "Ffl",
  64261: "St",
  64262: "St",
  64275: "Մն",
  64276: "Մե",
  64277: "Մի",
  64278: "Վն",
  64279: "Մխ",
};

function titleChar(ch: string): string {
  const cp = ch.codePointAt(0) as number;
  const special = TITLE_SPECIAL[cp];
  if (special !== undefined) return special;
  // Greek with ypogegrammeni: lower -> its titlecase form (U+1F80..U+1FAF step pattern: lower +8).
  if ((cp >= 0x1f80 && cp <= 0x1faf) || cp === 0x1fbc || cp === 0x1fcc || cp === 0x1ffc) {
    if (cp >= 0x1f80 && cp <= 0x1faf && (cp & 0xf) < 8) return String.fromCodePoint(cp + 8);
    return ch;
  }
  // Titlecase letters stay; Georgian Mkhedruli has no titlecase in Python (JS upper-cases it to Mtavruli).
  if (/\p{Lt}/u.test(ch) || (cp >= 0x10d0 && cp <= 0x10ff)) return ch;
  return ch.toUpperCase();
}

/** `s.capitalize()`: the first character title-cased, the rest lower-cased (final sigma seen in context). */
export function pyCapitalize(s: string): string {
  if (s === "") return s;
  const first = String.fromCodePoint(s.codePointAt(0) as number);
  const lowered = s.toLowerCase();
  const firstLowerLen = first.toLowerCase().length;
  return titleChar(first) + lowered.slice(firstLowerLen);
}

/** `repr(x)` / `str(x)` of a Python float. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Number.POSITIVE_INFINITY) return "inf";
  if (x === Number.NEGATIVE_INFINITY) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const abs = Math.abs(x);
  // Python switches to exponent notation below 1e-4 and at or above 1e16 (repr's 'r' format).
  if (abs >= 1e16 || abs < 1e-4) {
    const [mant, exp] = x.toExponential().split("e") as [string, string];
    const e = Number(exp);
    const sign = e < 0 ? "-" : "+";
    const digits = String(Math.abs(e)).padStart(2, "0");
    return `${mant}e${sign}${digits}`;
  }
  const s = String(x);
  return s.includes(".") ? s : `${s}.0`;
}

/** `str(v)` for the JSON-like values hooks see (bool -> True/False, None, ints, floats, strings). */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number") return Number.isInteger(v) && !Object.is(v, -0) ? String(v) : pyFloatRepr(v);
  return String(v);
}

/** Python's `string.punctuation`. */
export const ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/** Python code-point comparison of two strings (JS `<` compares UTF-16 code units). */
export function pyCompareStrings(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = (x.value as string).codePointAt(0) as number;
    const cy = (y.value as string).codePointAt(0) as number;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}
