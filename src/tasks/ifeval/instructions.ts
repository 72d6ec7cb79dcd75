/**
 * IFEval's 25 instruction checkers (Zhou et al. 2023), as lm-eval's `ifeval/instructions.py` (the module both
 * `ifeval/utils.py` and `leaderboard/ifeval/utils.py` import) builds and checks them. Each checker keeps the
 * reference's quirks, because verdicts must match it: keywords are regular expressions searched
 * case-insensitively, `keywords:existence` has no word boundaries, bullets may be `*` or `-`, a section marker
 * may be glued to the text, and so on.
 *
 * Where the reference draws a missing or invalid argument at random (`random.randint`, `random.choice`), the
 * same draw is made from Python's generator (`core/python-random`) that the caller seeds; lm-eval seeds the
 * global `random` with 0 before it scores. In the published data this happens for two `letter_frequency`
 * instructions whose letter is `!` or `#`. Missing keyword lists, which the reference fills from a word list,
 * are an error here.
 */

import { ModelmapError } from "../../core/errors.ts";
import type { PythonRandom } from "../../core/python-random.ts";
import { detectLanguage, NoFeaturesError } from "./langdetect.ts";
import { englishPunkt } from "./punkt.ts";
import { pythonJsonAccepts } from "./py-json.ts";
import {
  B,
  DOT,
  isLower,
  isUpper,
  ML_END,
  ML_START,
  pyLen,
  pyRegex,
  pyRegexSource,
  S,
  splitWhitespace,
  strip,
  stripChars,
  W,
} from "./py-text.ts";
import { wordTokenize } from "./word-tokenize.ts";

export type InstructionKwargs = Record<string, unknown>;

/** What a checker's `build_description` gets besides its kwargs. */
export interface BuildContext {
  rng: PythonRandom;
  instructionId: string;
}

export type Check = (response: string) => boolean;

interface InstructionDef {
  /** The keyword arguments `build_description` accepts. */
  args: readonly string[];
  build: (kw: InstructionKwargs, ctx: BuildContext) => Check;
}

/** ISO 639-1 code -> name, in the reference's order (a random language is drawn from this order). */
export const LANGUAGE_CODES: Readonly<Record<string, string>> = {
  en: "English",
  es: "Spanish",
  pt: "Portuguese",
  ar: "Arabic",
  hi: "Hindi",
  fr: "French",
  ru: "Russian",
  de: "German",
  ja: "Japanese",
  it: "Italian",
  bn: "Bengali",
  uk: "Ukrainian",
  th: "Thai",
  ur: "Urdu",
  ta: "Tamil",
  te: "Telugu",
  bg: "Bulgarian",
  ko: "Korean",
  pl: "Polish",
  he: "Hebrew",
  fa: "Persian",
  vi: "Vietnamese",
  ne: "Nepali",
  sw: "Swahili",
  kn: "Kannada",
  mr: "Marathi",
  gu: "Gujarati",
  pa: "Punjabi",
  ml: "Malayalam",
  fi: "Finnish",
};

const RELATIONS = ["less than", "at least"] as const;
type Relation = (typeof RELATIONS)[number];
const ASCII_LETTERS = Array.from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

function bad(ctx: BuildContext, field: string, message: string): ModelmapError {
  return new ModelmapError("input", `${ctx.instructionId}: ${message}`, { location: { field: `kwargs.${field}` } });
}

function int(kw: InstructionKwargs, name: string, ctx: BuildContext): number | undefined {
  const v = kw[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v))
    throw bad(ctx, name, `expected an integer, got ${JSON.stringify(v)}`);
  return v;
}

function str(kw: InstructionKwargs, name: string, ctx: BuildContext): string | undefined {
  const v = kw[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw bad(ctx, name, `expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function strList(kw: InstructionKwargs, name: string, ctx: BuildContext): string[] {
  const v = kw[name];
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "string"))
    throw bad(ctx, name, "expected a non-empty list of strings (the reference would draw random words)");
  return v as string[];
}

/** A count: the given one, or (missing or negative) a random one in [lo, hi] as the reference draws it. */
function count(kw: InstructionKwargs, name: string, ctx: BuildContext, lo: number, hi: number): number {
  const v = int(kw, name, ctx);
  return v === undefined || v < 0 ? ctx.rng.randint(lo, hi) : v;
}

function relation(kw: InstructionKwargs, name: string, ctx: BuildContext): Relation {
  const v = str(kw, name, ctx);
  if (v === undefined) return ctx.rng.choice(RELATIONS);
  if (!(RELATIONS as readonly string[]).includes(v))
    throw bad(ctx, name, `the relation must be one of ${RELATIONS.join(", ")}, got ${JSON.stringify(v)}`);
  return v as Relation;
}

const compare = (rel: Relation, actual: number, threshold: number) =>
  rel === "less than" ? actual < threshold : actual >= threshold;

/** `langdetect.detect(value) == lang`, counting an undetectable text as followed (as the reference does). */
function languageIs(value: string, lang: string): boolean {
  try {
    return detectLanguage(value) === lang;
  } catch (e) {
    if (e instanceof NoFeaturesError) return true;
    throw e;
  }
}

function countMatches(re: RegExp, value: string): number {
  let n = 0;
  for (const _ of value.matchAll(re)) n++;
  return n;
}

/** `instructions_util.count_words`: NLTK's `RegexpTokenizer(r"\w+")`. */
export function countWords(text: string): number {
  return countMatches(new RegExp(`${W}+`, "gu"), text);
}

/** `instructions_util.count_sentences`: NLTK's English Punkt model. */
export function countSentences(text: string): number {
  return englishPunkt().tokenize(text).length;
}

const BULLET_STAR = new RegExp(`${ML_START}${S}*\\*[^*]${DOT}*${ML_END}`, "gu");
const BULLET_DASH = new RegExp(`${ML_START}${S}*-${DOT}*${ML_END}`, "gu");
const HIGHLIGHT = /\*[^\n*]*\*/gu;
const DOUBLE_HIGHLIGHT = /\*\*[^\n*]*\*\*/gu;
const PLACEHOLDER = /\[[^\n]*?\]/gu;
const PARAGRAPH_DIVIDER = new RegExp(`${S}?\\*\\*\\*${S}?`, "u");
const TITLE = /<<[^\n]+>>/gu;
const CONSTRAINED_RESPONSES = ["My answer is yes.", "My answer is no.", "My answer is maybe."];

export const INSTRUCTIONS: Readonly<Record<string, InstructionDef>> = {
  "keywords:existence": {
    args: ["keywords"],
    build: (kw, ctx) => {
      const keywords = strList(kw, "keywords", ctx).map((k) => pyRegex(k, "i"));
      return (value) => keywords.every((re) => re.test(value));
    },
  },
  "keywords:frequency": {
    args: ["keyword", "frequency", "relation"],
    build: (kw, ctx) => {
      const keyword = str(kw, "keyword", ctx);
      if (keyword === undefined) throw bad(ctx, "keyword", "missing (the reference would draw a random word)");
      const freq = count(kw, "frequency", ctx, 1, 3);
      const rel = relation(kw, "relation", ctx);
      const re = pyRegex(strip(keyword), "gi");
      return (value) => compare(rel, countMatches(re, value), freq);
    },
  },
  "keywords:forbidden_words": {
    args: ["forbidden_words"],
    build: (kw, ctx) => {
      const words = [...new Set(strList(kw, "forbidden_words", ctx))].map(
        (w) => new RegExp(`${B}${pyRegexSource(w)}${B}`, "iu"),
      );
      return (value) => !words.some((re) => re.test(value));
    },
  },
  "keywords:letter_frequency": {
    args: ["letter", "let_frequency", "let_relation"],
    build: (kw, ctx) => {
      const given = str(kw, "letter", ctx);
      let letter: string;
      if (given === undefined || pyLen(given) > 1 || !/^[a-z]$/.test(given.toLowerCase()))
        letter = ctx.rng.choice(ASCII_LETTERS);
      else letter = strip(given);
      letter = letter.toLowerCase();
      const freq = count(kw, "let_frequency", ctx, 1, 10);
      const rel = relation(kw, "let_relation", ctx);
      return (value) => {
        let n = 0;
        for (const ch of value.toLowerCase()) if (ch === letter) n++;
        return compare(rel, n, freq);
      };
    },
  },
  "language:response_language": {
    args: ["language"],
    build: (kw, ctx) => {
      const lang = str(kw, "language", ctx) ?? ctx.rng.choice(Object.keys(LANGUAGE_CODES));
      if (!(lang in LANGUAGE_CODES)) throw bad(ctx, "language", `unknown language code ${JSON.stringify(lang)}`);
      return (value) => languageIs(value, lang);
    },
  },
  "length_constraints:number_sentences": {
    args: ["num_sentences", "relation"],
    build: (kw, ctx) => {
      const n = count(kw, "num_sentences", ctx, 1, 20);
      const rel = relation(kw, "relation", ctx);
      return (value) => compare(rel, countSentences(value), n);
    },
  },
  "length_constraints:number_paragraphs": {
    args: ["num_paragraphs"],
    build: (kw, ctx) => {
      const n = count(kw, "num_paragraphs", ctx, 1, 5);
      return (value) => {
        const paragraphs = value.split(PARAGRAPH_DIVIDER);
        let found = paragraphs.length;
        for (let i = 0; i < paragraphs.length; i++) {
          if (strip(paragraphs[i] as string) !== "") continue;
          if (i === 0 || i === paragraphs.length - 1) found--;
          else return false;
        }
        return found === n;
      };
    },
  },
  "length_constraints:number_words": {
    args: ["num_words", "relation"],
    build: (kw, ctx) => {
      const n = count(kw, "num_words", ctx, 100, 500);
      const rel = relation(kw, "relation", ctx);
      return (value) => compare(rel, countWords(value), n);
    },
  },
  "length_constraints:nth_paragraph_first_word": {
    args: ["num_paragraphs", "nth_paragraph", "first_word"],
    build: (kw, ctx) => {
      const num = count(kw, "num_paragraphs", ctx, 1, 5);
      let nth = int(kw, "nth_paragraph", ctx);
      if (nth === undefined || nth <= 0 || nth > num) nth = ctx.rng.randint(1, num + 1);
      const first = str(kw, "first_word", ctx);
      if (first === undefined) throw bad(ctx, "first_word", "missing (the reference would draw a random word)");
      const want = first.toLowerCase();
      const index = nth;
      return (value) => {
        const paragraphs = value.split("\n\n");
        let found = paragraphs.length;
        for (const p of paragraphs) if (strip(p) === "") found--;
        if (index > found) return false;
        const paragraph = strip(paragraphs[index - 1] as string);
        if (paragraph === "") return false;
        let word = strip(splitWhitespace(paragraph)[0] as string);
        word = stripChars(stripChars(word, "'", "left"), '"', "left");
        let firstWord = "";
        for (const letter of word) {
          if (".,?!'\"".includes(letter)) break;
          firstWord += letter.toLowerCase();
        }
        return found === num && firstWord === want;
      };
    },
  },
  "detectable_content:number_placeholders": {
    args: ["num_placeholders"],
    build: (kw, ctx) => {
      const n = count(kw, "num_placeholders", ctx, 1, 4);
      return (value) => countMatches(PLACEHOLDER, value) >= n;
    },
  },
  "detectable_content:postscript": {
    args: ["postscript_marker"],
    build: (kw, ctx) => {
      const given = str(kw, "postscript_marker", ctx);
      const marker = given === undefined ? ctx.rng.choice(["P.S.", "P.P.S"]) : strip(given);
      let body: string;
      if (marker === "P.P.S") body = `p\\.${S}?p\\.${S}?s`;
      else if (marker === "P.S.") body = `p\\.${S}?s\\.`;
      else body = pyRegexSource(marker.toLowerCase());
      const re = new RegExp(`${S}*${body}${DOT}*${ML_END}`, "u");
      return (value) => re.test(value.toLowerCase());
    },
  },
  "detectable_format:number_bullet_lists": {
    args: ["num_bullets"],
    build: (kw, ctx) => {
      const n = count(kw, "num_bullets", ctx, 1, 5);
      return (value) => countMatches(BULLET_STAR, value) + countMatches(BULLET_DASH, value) === n;
    },
  },
  "detectable_format:constrained_response": {
    args: [],
    build: () => (value) => {
      const v = strip(value);
      return CONSTRAINED_RESPONSES.some((r) => v.includes(r));
    },
  },
  "detectable_format:number_highlighted_sections": {
    args: ["num_highlights"],
    build: (kw, ctx) => {
      const n = count(kw, "num_highlights", ctx, 1, 4);
      return (value) => {
        let found = 0;
        for (const [h] of value.matchAll(HIGHLIGHT)) if (strip(stripChars(h, "*")) !== "") found++;
        for (const [h] of value.matchAll(DOUBLE_HIGHLIGHT)) if (strip(h.slice(2, -2)) !== "") found++;
        return found >= n;
      };
    },
  },
  "detectable_format:multiple_sections": {
    args: ["section_spliter", "num_sections"],
    build: (kw, ctx) => {
      const given = str(kw, "section_spliter", ctx);
      const spliter = given === undefined ? ctx.rng.choice(["Section", "SECTION"]) : strip(given);
      const n = count(kw, "num_sections", ctx, 1, 5);
      const re = new RegExp(`${S}?${pyRegexSource(spliter)}${S}?\\p{Nd}+${S}?`, "u");
      return (value) => value.split(re).length - 1 >= n;
    },
  },
  "detectable_format:json_format": {
    args: [],
    build: () => (value) => {
      let v = strip(value);
      for (const prefix of ["```json", "```Json", "```JSON", "```"])
        if (v.startsWith(prefix)) v = v.slice(prefix.length);
      if (v.endsWith("```")) v = v.slice(0, -3);
      return pythonJsonAccepts(strip(v));
    },
  },
  "detectable_format:title": {
    args: [],
    build: () => (value) => {
      for (const [t] of value.matchAll(TITLE))
        if (strip(stripChars(stripChars(t, "<", "left"), ">", "right")) !== "") return true;
      return false;
    },
  },
  "combination:two_responses": {
    args: [],
    build: () => (value) => {
      const valid: string[] = [];
      const parts = value.split("******");
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i] as string;
        if (strip(part) === "") {
          if (i !== 0 && i !== parts.length - 1) return false;
        } else valid.push(part);
      }
      return valid.length === 2 && strip(valid[0] as string) !== strip(valid[1] as string);
    },
  },
  "combination:repeat_prompt": {
    args: ["prompt_to_repeat"],
    build: (kw, ctx) => {
      const prompt = str(kw, "prompt_to_repeat", ctx);
      if (!prompt) throw bad(ctx, "prompt_to_repeat", "prompt_to_repeat must be set");
      const want = strip(prompt).toLowerCase();
      return (value) => strip(value).toLowerCase().startsWith(want);
    },
  },
  "startend:end_checker": {
    args: ["end_phrase"],
    build: (kw, ctx) => {
      const given = str(kw, "end_phrase", ctx);
      const phrase =
        given === undefined
          ? ctx.rng.choice(["Any other questions?", "Is there anything else I can help with?"])
          : strip(given);
      const want = strip(phrase).toLowerCase();
      return (value) => stripChars(strip(value), '"').toLowerCase().endsWith(want);
    },
  },
  "startend:quotation": {
    args: [],
    build: () => (value) => {
      const v = strip(value);
      return pyLen(v) > 1 && v.startsWith('"') && v.endsWith('"');
    },
  },
  "change_case:capital_word_frequency": {
    args: ["capital_frequency", "capital_relation"],
    build: (kw, ctx) => {
      const given = int(kw, "capital_frequency", ctx);
      const freq = given === undefined ? ctx.rng.randint(1, 20) : given;
      const rel = relation(kw, "capital_relation", ctx);
      return (value) => compare(rel, wordTokenize(value).filter(isUpper).length, freq);
    },
  },
  "change_case:english_capital": {
    args: [],
    build: () => (value) => isUpper(value) && languageIs(value, "en"),
  },
  "change_case:english_lowercase": {
    args: [],
    build: () => (value) => isLower(value) && languageIs(value, "en"),
  },
  "punctuation:no_comma": {
    args: [],
    build: () => (value) => !value.includes(","),
  },
};

/** Python truthiness, as `{k: v for k, v in kwargs.items() if v}` filters the dataset's kwargs. */
function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

/** Builds the checker for one instruction of a document, as `build_description(**kwargs)` does. */
export function buildInstruction(instructionId: string, kwargs: InstructionKwargs, rng: PythonRandom): Check {
  const def = INSTRUCTIONS[instructionId];
  if (!def)
    throw new ModelmapError("input", `unknown IFEval instruction ${JSON.stringify(instructionId)}`, {
      location: { field: "instruction_id_list" },
      hint: `known: ${Object.keys(INSTRUCTIONS).join(", ")}`,
    });
  const kw: InstructionKwargs = {};
  for (const [k, v] of Object.entries(kwargs)) {
    if (!truthy(v)) continue;
    if (!def.args.includes(k))
      throw new ModelmapError("input", `${instructionId}: unexpected keyword argument ${JSON.stringify(k)}`, {
        location: { field: `kwargs.${k}` },
        hint: def.args.length ? `it takes ${def.args.join(", ")}` : "it takes no arguments",
      });
    kw[k] = v;
  }
  return def.build(kw, { rng, instructionId });
}
