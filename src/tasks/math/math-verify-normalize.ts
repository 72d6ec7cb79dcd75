/**
 * latex2sympy2_extended 1.10.2's `normalize_latex` (math_normalization.py) with the configuration Math-Verify's
 * `LatexExtractionConfig` uses: basic LaTeX clean-up, units, malformed operators, nits, `\boxed` extraction
 * ("all" by default, "last" for a bare `\boxed{...}` match). Rule for rule, in the source's order.
 */

export interface NormalizationConfig {
  boxed: "all" | "last" | "none";
}

const R_LEFT =
  /\\m?left(\\\{|\{|\\\||\||\[|\(|\\rbracl|\\lgroup|\\lbrace|\\lbrack|\\vert|\\lvert|\\lceil|\\lfloor|\\vert|\\lvert|\\langle|\\llcorner|\\ulcorner)/g;
const R_RIGHT =
  /\\m?right(\\\}|\}|\\\||\||\]|\)|\\rbrack|\\rgroup|\\rbrace|\\rbrack|\\vert|\\rvert|\\rceil|\\rfloor|\\vert|\\rvert|\\rangle|\\lrcorner|\\urcorner)/g;

// "integer" "point" is one string in the source (a missing comma), kept as it is.
const UNITS = [
  "integerpoint", "feet", "sue", "digit", "pound", "meal", "edge", "student", "children ticket", "multiple", "east",
  "degree", "mph", "kmph", "ft", "m square", " m east", "sq m", "deg", "mile", "q .", "monkey", "prime", "ratio",
  "profit of rs", "rd", "o", "gm", "p . m", "lb", "tile", "per", "dm", "lt", "gain", "ab", "way", "west", "a .",
  "b .", "c .", "d .", "e .", "f .", "g .", "h .", "t", "h", "no change", "men", "soldier", "pie", "bc", "excess",
  "st", "inches", "noon", "cent", "by", "gal", "kmh", "c", "acre", "rise", "a . m", "th", "π r 2", "sq", "mark",
  "l", "toy", "coin", "sq . m", "gallon", "° f", "profit", "minw", "yr", "women", "am", "pm", "hr", "cu cm",
  "square", "v â € ™", "are", "rupee", "rounds", "cubic", "cc", "mtr", "s", "ohm", "number", "kmph", "day", "hour",
  "minute", "min", "second", "man", "woman", "sec", "cube", "mt", "sq inch", "mp", "∏ cm ³", "hectare", "more",
  "sec", "unit", "cu . m", "cm 2", "rs .", "rs", "kg", "g", "month", "km", "m", "cm", "mm", "apple", "liter",
  "loss", "yard", "pure", "year", "increase", "decrease", "d", "less", "Surface", "litre", "pi sq m", "s .",
  "metre", "meter", "inch",
]; // biome-ignore format: the source's list
// Python's re treats these unit strings as patterns: "." matches any character but a newline.
const UNITS_RE = new RegExp(
  `(\\d|\\}|\\s)\\s*(?:(?:${UNITS.map((u) => u.replaceAll(".", "[^\\n]")).join("|")})(?:s|es)?)\\s*$`,
);

const TO_REMOVE = /\\mathrm\{th\}|\\!\s*|\\text\s*\{\s*\}|\\text\s*\{\s*\}|\\\$|\$|(?<!\\)["']|\\displaystyle/g;

const TO_REPLACE: Array<[string, string]> = [
  ["\\\\math(?:rm|it|bf)", "\\text"],
  ["\\\\text(?:normal|bf|it|rm)", "\\text"],
  ["\\\\(?:d|t|c)frac", "\\frac"],
  ["\\s\\.", " 0."],
  ["\\{\\.", "{0."],
  ["\\~\\=", "\\approx"],
  ["\\s*\\{\\s*,\\s*\\}", ","],
  ["(?<![a-zA-Z])(,?\\s*(?:and|or))(?![a-zA-Z])", ","],
  ["(,?\\s*\\\\text{\\s*(?:and|or)\\s*})", ","],
  ["(?<!\\\\)\\\\\\s", " "],
  ["infinity", "\\infty"],
  [",?(\\\\ldots)", " "],
  ["\\s*\\bpercentage\\b", "\\%"],
  ["\\\\text{percentage}", "%"],
  ["\\s*\\bpercent\\b", "\\%"],
  ["\\\\text{percent}", "%"],
  ["\\s*\\bpct\\b", "\\%"],
  ["\\\\text{pct}", "%"],
  ["((?<!\\\\)inf(?!inity))", "\\infty"],
  [" sqrt", "\\sqrt"],
];
const TO_REPLACE_RE = new RegExp(TO_REPLACE.map(([p], i) => `(?<g${i}>${p})`).join("|"), "g");

const MALFORMED: Array<[RegExp, string]> = [
  [/\^\s?\(([^\n]*?)\)/g, "^{$1}"],
  [/sqrt\s?\(([^\n]*?)\)/g, "\\sqrt{$1}"],
  [/\\frac\s?(\d)\s?(\d+)/g, "\\frac{$1}{$2}"],
  [/\\log_\s?(\d)\s?(\d+)/g, "\\log_{$1}{$2}"],
  [/\\frac\s?{([^\n]*?)}\s?(\d)/g, "\\frac{$1}{$2}"],
  [/\\frac\s?(\d)\s?{([^\n]*?)}/g, "\\frac{$1}{$2}"],
  [/\\sqrt\s?(\d)/g, "\\sqrt{$1}"],
];

const VALID_SEPARATOR = /\b(and|or)\b|,|;/;
const isSpace = (c: string) => /\s/.test(c);

/** `extract_boxed_content`: every `\boxed{..}`/`\fbox{..}` from the right ("all"), or the last run of them ("last"). */
export function extractBoxedContent(text: string, mode: "last" | "all"): string {
  const results: string[] = [];
  let currentPos = text.length;
  let lastBoxedStart: number | undefined;
  let maxPos = text.length;
  const boundaries = (open: number, max: number): [number, number] | undefined => {
    let i = open;
    let depth = 1;
    while (i + 1 < max) {
      i++;
      if (text[i] === "{") depth++;
      else if (text[i] === "}") {
        depth--;
        if (depth === 0) return [open, i];
      }
    }
    return undefined;
  };
  for (;;) {
    // Python's rfind(sub, 0, end): the whole of sub lies before end.
    const rfind = (sub: string, end: number) => (end - sub.length < 0 ? -1 : text.lastIndexOf(sub, end - sub.length));
    const boxedIdx = rfind("\\boxed", currentPos);
    const fboxIdx = rfind("\\fbox", currentPos);
    if (boxedIdx < 0 && fboxIdx < 0) break;
    const start = Math.max(boxedIdx, fboxIdx);
    let next = start + (boxedIdx > fboxIdx ? 6 : 5);
    while (next < maxPos && isSpace(text[next] as string)) next++;
    if (next >= maxPos) break;
    if (text[next] === "{") {
      const bd = boundaries(next, maxPos);
      if (!bd) {
        if (results.length === 0) results.push(text.slice(next));
        break;
      }
      const content = text.slice(bd[0] + 1, bd[1]).trim();
      if (mode === "last" && lastBoxedStart !== undefined) {
        const between = text.slice(bd[1] + 1, lastBoxedStart);
        const prev = results.at(-1) ?? "";
        const keep = between.length < 10 || (prev !== content && between.length < 70 && VALID_SEPARATOR.test(between));
        if (!keep) break;
      }
      if (results.length === 0 || results.at(-1) !== content) results.push(content);
      lastBoxedStart = start;
      maxPos = start;
    } else {
      if (results.length === 0) results.push(text.slice(next));
      break;
    }
    currentPos = start;
  }
  if (results.length === 0) return text;
  return results.reverse().join(",");
}

function fixFracs(text: string): string {
  const subs = text.split("\\frac");
  let out = subs[0] as string;
  for (let substr of subs.slice(1)) {
    substr = substr.replace(/^\s+/, "");
    out += "\\frac";
    if (substr.length > 0 && substr[0] === "{") out += substr;
    else if (substr.length < 2) return text;
    else {
      const a = substr[0] as string;
      const b = substr[1] as string;
      if (b !== "{") out += `{${a}}{${b}}${substr.slice(2)}`;
      else out += `{${a}}${b}${substr.slice(2)}`;
    }
  }
  return out;
}

function fixAslashB(text: string): string {
  const parts = text.split("/");
  if (parts.length !== 2) return text;
  const [a, b] = parts as [string, string];
  // Python: int(a), int(b) and "{}/{}".format(a, b) == text, i.e. plain integers as Python prints them.
  const int = /^\s*[-+]?\d+(?:_\d+)*\s*$/;
  if (!int.test(a) || !int.test(b)) return text;
  const ai = BigInt(a.trim().replaceAll("_", ""));
  const bi = BigInt(b.trim().replaceAll("_", ""));
  if (text !== `${ai}/${bi}`) return text;
  return `\\frac{${ai}}{${bi}}`;
}

function fixSqrt(text: string): string {
  if (!text.includes("\\sqrt")) return text;
  const splits = text.split("\\sqrt");
  let out = splits[0] as string;
  for (let split of splits.slice(1)) {
    split = split.replace(/^\s+/, "");
    if (split.length > 0 && split[0] !== "{" && split[0] !== "[") out += `\\sqrt{${split[0]}}${split.slice(1)}`;
    else out += `\\sqrt${split}`;
  }
  return out;
}

/** `normalize_latex(text, NormalizationConfig(basic_latex, units, malformed_operators, nits, boxed))`. */
export function normalizeLatex(input: string, config: NormalizationConfig): string {
  let text = input;
  if (config.boxed !== "none") text = extractBoxedContent(text, config.boxed);
  text = text.replaceAll("\\mathrm{T}", "T");
  text = text.replaceAll("\\mathrm{d}", "d").replaceAll("{\\rm d}", "d");
  text = text
    .replaceAll("\\left[\\begin{matrix}", "\\begin{bmatrix}")
    .replaceAll("\\end{matrix}\\right]", "\\end{bmatrix}");
  text = text.replace(R_LEFT, "$1");
  text = text.replace(R_RIGHT, "$1");
  text = text.replace(/\(([a-zA-Z0-9+\-*/\\ ]+?)\)_{([a-zA-Z0-9+\-*/\\ ]+?)}/g, "\\frac{($1)!}{(($1)-($2))!}");
  text = text.replace(TO_REMOVE, "");
  text = text.replace(TO_REPLACE_RE, (...args) => {
    const groups = args.at(-1) as Record<string, string | undefined>;
    const i = Object.keys(groups).findIndex((k) => groups[k] !== undefined);
    return (TO_REPLACE[i] as [string, string])[1];
  });
  text = text.replaceAll("\n", " ").replaceAll("\t", " ");
  if (!text.includes("matrix")) text = text.replace(/\\\\(?=[a-zA-Z])/g, "\\");
  // units
  let t2 = text.replace(/(\\(?:text|mbox){[^\n]*?})(\^\d|\{\^\d\})?$/, "").trim();
  if (t2 !== "" && t2 !== text) text = t2;
  for (let k = 0; k < 2; k++) {
    t2 = text.replace(UNITS_RE, "$1");
    if (t2 !== "" && t2 !== text) text = t2;
  }
  // nits
  if (text.length > 0 && text[0] === ".") text = `0${text}`;
  if (text === "0.5") text = "\\frac{1}{2}";
  // malformed operators
  for (const [re, rep] of MALFORMED) text = text.replace(re, rep);
  text = text.replaceAll(" sqrt", "\\sqrt");
  text = fixSqrt(text);
  text = fixFracs(text);
  text = fixAslashB(text);
  return text.trim();
}
