/**
 * NLTK's Punkt sentence tokenizer (Kiss & Strunk 2006), the tokenizing half of `nltk/tokenize/punkt.py`
 * (NLTK 3.8-3.9, `PunktSentenceTokenizer.tokenize` with `realign_boundaries=True`), ported rule for rule so
 * that IFEval's `count_sentences` and `nltk.word_tokenize` split where Python does. The trained English
 * parameters (NLTK's `punkt/english.pickle`, also shipped as `punkt_tab/english`) are read from
 * `data/punkt-english.json`; see `data/README.md` for their provenance.
 */
import { readFileSync } from "node:fs";
import { D, firstChar, isLower, isUpper, NS, rstrip, S, strip, W } from "./py-text.ts";

export interface PunktParameters {
  abbrevTypes: ReadonlySet<string>;
  /** `"first\tsecond"` for each collocation. */
  collocations: ReadonlySet<string>;
  sentStarters: ReadonlySet<string>;
  orthoContext: ReadonlyMap<string, number>;
}

const ORTHO_BEG_UC = 1 << 1;
const ORTHO_MID_UC = 1 << 2;
const ORTHO_UNK_UC = 1 << 3;
const ORTHO_BEG_LC = 1 << 4;
const ORTHO_MID_LC = 1 << 5;
const ORTHO_UNK_LC = 1 << 6;
const ORTHO_UC = ORTHO_BEG_UC + ORTHO_MID_UC + ORTHO_UNK_UC;
const ORTHO_LC = ORTHO_BEG_LC + ORTHO_MID_LC + ORTHO_UNK_LC;

const SENT_END_CHARS = new Set([".", "?", "!"]);
const PUNCTUATION = new Set([";", ":", ",", ".", "!", "?"]);

// PunktLanguageVars, with Python's Unicode `\s`/`\S`/`\w`/`\d` spelled out.
const NON_WORD = `(?:[)";}\\]*:@'({\\[?!])`;
const MULTI_CHAR = `(?:-{2,}|\\.{2,}|(?:\\.${S}){2,}\\.)`;
const WORD_START = `[^("\`{\\[:;&#*@)}\\]\\-,]`;
const WORD_TOKENIZER = new RegExp(
  `${MULTI_CHAR}|(?=${WORD_START})${NS}+?(?=${S}|$|${NON_WORD}|${MULTI_CHAR}|,(?=$|${S}|${NON_WORD}|${MULTI_CHAR}))|${NS}`,
  "gu",
);
const PERIOD_CONTEXT = new RegExp(`[.?!](?=(?<afterTok>${NON_WORD}|${S}+(?<nextTok>${NS}+)))`, "gdu");
const BOUNDARY_REALIGNMENT = new RegExp(`^["')\\]}]+?(?:${S}+|(?=--)|(?![^\\n]))`, "u");

const RE_ELLIPSIS = /^\.\.+$/u;
const RE_NUMERIC = new RegExp(`^-?[.,]?${D}[${D},.\\-]*\\.?$`, "u");
const NOT_W_OR_D = `(?:(?!${D})${W})`;
const RE_INITIAL = new RegExp(`^${NOT_W_OR_D}\\.$`, "u");
/** `string.whitespace`, used where punkt looks for the last space before a candidate break. */
const ASCII_WS = new Set([" ", "\t", "\n", "\r", "\v", "\f"]);

class Token {
  readonly tok: string;
  readonly type: string;
  readonly periodFinal: boolean;
  sentbreak = false;
  abbr = false;
  ellipsis = false;

  constructor(tok: string) {
    this.tok = tok;
    const lower = tok.toLowerCase();
    this.type = RE_NUMERIC.test(lower) ? "##number##" : lower;
    this.periodFinal = tok.endsWith(".");
  }

  get typeNoPeriod(): string {
    return this.type.length > 1 && this.type.endsWith(".") ? this.type.slice(0, -1) : this.type;
  }

  get typeNoSentperiod(): string {
    return this.sentbreak ? this.typeNoPeriod : this.type;
  }

  get firstUpper(): boolean {
    return isUpper(firstChar(this.tok));
  }

  get firstLower(): boolean {
    return isLower(firstChar(this.tok));
  }

  get isInitial(): boolean {
    return RE_INITIAL.test(this.tok);
  }
}

export class PunktSentenceTokenizer {
  constructor(private readonly params: PunktParameters) {}

  /** `tokenize(text)`: the sentences, each a slice of `text`. */
  tokenize(text: string): string[] {
    return this.spans(text).map(([s, e]) => text.slice(s, e));
  }

  /** Sentence spans (UTF-16 offsets into `text`). */
  spans(text: string): Array<[number, number]> {
    return realignBoundaries(text, this.slicesFromText(text));
  }

  private slicesFromText(text: string): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let lastBreak = 0;
    for (const { match, context } of matchPotentialEndContexts(text)) {
      if (this.textContainsSentbreak(context)) {
        const end = match.index + match[0].length;
        out.push([lastBreak, end]);
        const nextTok = match.indices?.groups?.["nextTok"];
        lastBreak = nextTok ? nextTok[0] : end;
      }
    }
    out.push([lastBreak, rstrip(text).length]);
    return out;
  }

  private textContainsSentbreak(text: string): boolean {
    const tokens = this.annotate(tokenizeWords(text));
    let found = false;
    for (const tok of tokens) {
      if (found) return true;
      if (tok.sentbreak) found = true;
    }
    return false;
  }

  private annotate(tokens: Token[]): Token[] {
    for (const t of tokens) this.firstPass(t);
    for (let i = 0; i < tokens.length; i++) this.secondPass(tokens[i] as Token, tokens[i + 1]);
    return tokens;
  }

  private firstPass(t: Token): void {
    const tok = t.tok;
    if (SENT_END_CHARS.has(tok)) t.sentbreak = true;
    else if (RE_ELLIPSIS.test(tok)) t.ellipsis = true;
    else if (t.periodFinal && !tok.endsWith("..")) {
      const stem = tok.slice(0, -1).toLowerCase();
      if (this.params.abbrevTypes.has(stem) || this.params.abbrevTypes.has(stem.split("-").at(-1) as string))
        t.abbr = true;
      else t.sentbreak = true;
    }
  }

  private secondPass(t1: Token, t2: Token | undefined): void {
    if (!t2 || !t1.periodFinal) return;
    const typ = t1.typeNoPeriod;
    const nextTyp = t2.typeNoSentperiod;
    const initial = t1.isInitial;
    if (this.params.collocations.has(`${typ}\t${nextTyp}`)) {
      t1.sentbreak = false;
      t1.abbr = true;
      return;
    }
    if ((t1.abbr || t1.ellipsis) && !initial) {
      const starter = this.orthoHeuristic(t2);
      if (starter === true) {
        t1.sentbreak = true;
        return;
      }
      if (t2.firstUpper && this.params.sentStarters.has(nextTyp)) {
        t1.sentbreak = true;
        return;
      }
    }
    if (initial || typ === "##number##") {
      const starter = this.orthoHeuristic(t2);
      if (starter === false) {
        t1.sentbreak = false;
        t1.abbr = true;
        return;
      }
      if (
        starter === "unknown" &&
        initial &&
        t2.firstUpper &&
        !((this.params.orthoContext.get(nextTyp) ?? 0) & ORTHO_LC)
      ) {
        t1.sentbreak = false;
        t1.abbr = true;
      }
    }
  }

  private orthoHeuristic(t: Token): boolean | "unknown" {
    if (PUNCTUATION.has(t.tok)) return false;
    const ctx = this.params.orthoContext.get(t.typeNoSentperiod) ?? 0;
    if (t.firstUpper && ctx & ORTHO_LC && !(ctx & ORTHO_MID_UC)) return true;
    if (t.firstLower && (ctx & ORTHO_UC || !(ctx & ORTHO_BEG_LC))) return false;
    return "unknown";
  }
}

/** `_tokenize_words`: punkt's own word split, line by line (paragraph marks do not affect tokenizing). */
function tokenizeWords(text: string): Token[] {
  const out: Token[] = [];
  for (const line of text.split("\n")) {
    if (strip(line) === "") continue;
    for (const m of line.matchAll(WORD_TOKENIZER)) out.push(new Token(m[0]));
  }
  return out;
}

interface EndContext {
  match: RegExpExecArray;
  context: string;
}

/** `_match_potential_end_contexts`: each candidate break with the word before it and the token after it. */
function matchPotentialEndContexts(text: string): EndContext[] {
  const out: EndContext[] = [];
  let prevSlice: [number, number] = [0, 0];
  let prevMatch: RegExpExecArray | undefined;
  const emit = (m: RegExpExecArray, s: [number, number]) =>
    out.push({ match: m, context: text.slice(s[0], s[1]) + m[0] + (m.groups?.["afterTok"] ?? "") });
  PERIOD_CONTEXT.lastIndex = 0;
  for (let m = PERIOD_CONTEXT.exec(text); m !== null; m = PERIOD_CONTEXT.exec(text)) {
    const before = text.slice(prevSlice[1], m.index);
    let idx = lastAsciiWhitespace(before);
    if (idx) idx += prevSlice[1] + 1;
    else idx = prevSlice[0];
    const wordSlice: [number, number] = [idx, m.index];
    if (prevMatch && prevSlice[1] <= wordSlice[0]) emit(prevMatch, prevSlice);
    prevMatch = m;
    prevSlice = wordSlice;
  }
  if (prevMatch) emit(prevMatch, prevSlice);
  return out;
}

function lastAsciiWhitespace(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) if (ASCII_WS.has(text[i] as string)) return i;
  return 0;
}

/** `_realign_boundaries`: closing quotes and brackets after a break belong to the sentence before it. */
function realignBoundaries(text: string, slices: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let realign = 0;
  for (let i = 0; i < slices.length; i++) {
    const s1 = slices[i] as [number, number];
    const start = s1[0] + realign;
    const s2 = slices[i + 1];
    if (!s2) {
      if (start < s1[1]) out.push([start, s1[1]]);
      continue;
    }
    const m = BOUNDARY_REALIGNMENT.exec(text.slice(s2[0], s2[1]));
    if (m) {
      out.push([start, s2[0] + rstrip(m[0]).length]);
      realign = m[0].length;
    } else {
      realign = 0;
      if (start < s1[1]) out.push([start, s1[1]]);
    }
  }
  return out;
}

interface PunktJson {
  abbrev_types: string[];
  collocations: Array<[string, string]>;
  sent_starters: string[];
  ortho_context: Record<string, number>;
}

let english: PunktSentenceTokenizer | undefined;

/** The tokenizer `nltk.sent_tokenize(text)` uses (English parameters), loaded once. */
export function englishPunkt(): PunktSentenceTokenizer {
  if (!english) {
    const raw = JSON.parse(readFileSync(new URL("./data/punkt-english.json", import.meta.url), "utf8")) as PunktJson;
    english = new PunktSentenceTokenizer({
      abbrevTypes: new Set(raw.abbrev_types),
      collocations: new Set(raw.collocations.map(([a, b]) => `${a}\t${b}`)),
      sentStarters: new Set(raw.sent_starters),
      orthoContext: new Map(Object.entries(raw.ortho_context)),
    });
  }
  return english;
}
