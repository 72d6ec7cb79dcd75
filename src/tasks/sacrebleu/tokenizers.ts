/**
 * sacreBLEU's tokenizers, ported from its source (`sacrebleu/tokenizers/`, v2.5): `13a` (mteval-v13a, BLEU's
 * default), `intl` (mteval-v14 international, Unicode punctuation and symbols), `none`, `char`, and the Tercom
 * tokenizer TER uses. Regexes are Python's (run through `pycompat/regex.ts`) so their meaning is CPython's.
 */
import { pySub } from "../pycompat/regex.ts";
import { pySplitWhitespace } from "../pycompat/str.ts";

export type BleuTokenizerName = "13a" | "intl" | "none" | "char";

function squeeze(line: string): string {
  return pySplitWhitespace(line).join(" ");
}

/** `TokenizerRegexp`: the language-dependent post-processing of `13a`. */
function tokenizeRegexp(line: string): string {
  let s = pySub("([\\{-\\~\\[-\\` -\\&\\(-\\+\\:-\\@\\/])", " \\1 ", line);
  s = pySub("([^0-9])([\\.,])", "\\1 \\2 ", s);
  s = pySub("([\\.,])([^0-9])", " \\1 \\2", s);
  s = pySub("([0-9])(-)", "\\1 \\2 ", s);
  return squeeze(s);
}

export function tokenize13a(line: string): string {
  let s = line.replaceAll("<skipped>", "").replaceAll("-\n", "").replaceAll("\n", " ");
  if (s.includes("&")) {
    s = s.replaceAll("&quot;", '"').replaceAll("&amp;", "&").replaceAll("&lt;", "<").replaceAll("&gt;", ">");
  }
  return tokenizeRegexp(` ${s} `);
}

// The `regex` module's \p classes; JS `u` regexes have the same Unicode general categories.
const INTL_RULES: Array<[RegExp, string]> = [
  [/(\P{N})(\p{P})/gu, "$1 $2 "],
  [/(\p{P})(\P{N})/gu, " $1 $2"],
  [/(\p{S})/gu, " $1 "],
];

export function tokenizeIntl(line: string): string {
  let s = line;
  for (const [re, repl] of INTL_RULES) s = s.replace(re, repl);
  return squeeze(s);
}

export function tokenizeChar(line: string): string {
  return Array.from(line).join(" ");
}

export function bleuTokenizer(name: BleuTokenizerName): (line: string) => string {
  switch (name) {
    case "13a":
      return tokenize13a;
    case "intl":
      return tokenizeIntl;
    case "none":
      return (line) => line;
    case "char":
      return tokenizeChar;
  }
}

export interface TercomOptions {
  normalized?: boolean;
  noPunct?: boolean;
  asianSupport?: boolean;
  caseSensitive?: boolean;
}

const ASIAN_PUNCT = "([\\u3001\\u3002\\u3008-\\u3011\\u3014-\\u301f\\uff61-\\uff65\\u30fb])";
const FULL_WIDTH_PUNCT = "([\\uff0e\\uff0c\\uff1f\\uff1a\\uff1b\\uff01\\uff02\\uff08\\uff09])";

function normalizeGeneralAndWestern(sent: string): string {
  let s = pySub("\\n-", "", sent);
  s = pySub("\\n", " ", s);
  s = pySub("&quot;", '"', s);
  s = pySub("&amp;", "&", s);
  s = pySub("&lt;", "<", s);
  s = pySub("&gt;", ">", s);
  s = ` ${s} `;
  s = pySub("([{-~[-` -&(-+:-@/])", " \\1 ", s);
  s = pySub("'s ", " 's ", s);
  s = pySub("'s$", " 's", s);
  s = pySub("([^0-9])([\\.,])", "\\1 \\2 ", s);
  s = pySub("([\\.,])([^0-9])", " \\1 \\2", s);
  s = pySub("([0-9])(-)", "\\1 \\2 ", s);
  return s;
}

function normalizeAsian(sent: string): string {
  let s = pySub("([\\u4e00-\\u9fff\\u3400-\\u4dbf])", " \\1 ", sent);
  s = pySub("([\\u31c0-\\u31ef\\u2e80-\\u2eff])", " \\1 ", s);
  s = pySub("([\\u3300-\\u33ff\\uf900-\\ufaff\\ufe30-\\ufe4f])", " \\1 ", s);
  s = pySub("([\\u3200-\\u3f22])", " \\1 ", s);
  s = pySub("(^|^[\\u3040-\\u309f])([\\u3040-\\u309f]+)(?=$|^[\\u3040-\\u309f])", "\\1 \\2 ", s);
  s = pySub("(^|^[\\u30a0-\\u30ff])([\\u30a0-\\u30ff]+)(?=$|^[\\u30a0-\\u30ff])", "\\1 \\2 ", s);
  s = pySub("(^|^[\\u31f0-\\u31ff])([\\u31f0-\\u31ff]+)(?=$|^[\\u31f0-\\u31ff])", "\\1 \\2 ", s);
  s = pySub(ASIAN_PUNCT, " \\1 ", s);
  s = pySub(FULL_WIDTH_PUNCT, " \\1 ", s);
  return s;
}

/** `TercomTokenizer.__call__`. */
export function tercomTokenize(sent: string, o: TercomOptions = {}): string {
  if (!sent) return "";
  let s = o.caseSensitive ? sent : sent.toLowerCase();
  if (o.normalized) {
    s = normalizeGeneralAndWestern(s);
    if (o.asianSupport) s = normalizeAsian(s);
  }
  if (o.noPunct) {
    s = pySub('[\\.,\\?:;!\\"\\(\\)]', "", s);
    if (o.asianSupport) {
      s = pySub(ASIAN_PUNCT, "", s);
      s = pySub(FULL_WIDTH_PUNCT, "", s);
    }
  }
  return squeeze(s);
}
