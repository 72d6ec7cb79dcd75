/**
 * Language detection as IFEval's reference does it: Python's `langdetect` 1.0.9 (Shuyo's n-gram naive Bayes,
 * ported from Java), step for step, with its 55 language profiles (`data/langdetect-profiles.json.gz`) and its
 * normalisation tables (`data/langdetect-messages.json`); see `data/README.md`.
 *
 * langdetect samples n-grams at random. Python seeds a fresh `random.Random()` per call from the OS unless
 * `DetectorFactory.seed` is set; here the stream is Python's own (`core/python-random`) seeded with 0, so a
 * result equals Python's with `DetectorFactory.seed = 0` and is the same on every run. Unseeded Python can
 * disagree with itself on short or mixed-language texts; the tests measure how often on IFEval's responses.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { PythonRandom } from "../../core/python-random.ts";
import { isUpper } from "./py-text.ts";

const ALPHA_DEFAULT = 0.5;
const ALPHA_WIDTH = 0.05;
const ITERATION_LIMIT = 1000;
const PROB_THRESHOLD = 0.1;
const CONV_THRESHOLD = 0.99999;
const BASE_FREQ = 10000;
const N_TRIAL = 7;
const MAX_TEXT_LENGTH = 10000;
const N_GRAM = 3;

const URL_RE = /https?:\/\/[-_.?&~;+=/#0-9A-Za-z]{1,2076}/g;
const MAIL_RE = /[-_.0-9A-Za-z]{1,64}@[-_0-9A-Za-z]{1,255}[-_.0-9A-Za-z]{1,255}/g;

/** langdetect's `LangDetectException` ("No features in text."): IFEval counts the instruction as followed. */
export class NoFeaturesError extends Error {
  constructor() {
    super("No features in text.");
    this.name = "NoFeaturesError";
  }
}

interface Model {
  langs: string[];
  /** n-gram -> probability per language (dense, in `langs` order). */
  wordProbs: Map<string, Float64Array>;
  cjkMap: Map<string, string>;
  viPattern: RegExp;
  viAlphabet: string[];
  viMarks: string[];
  viNormalized: string[][];
  latin1Excluded: Set<string>;
}

interface ProfilesJson {
  [lang: string]: { n_words: number[]; freq: Record<string, number> };
}

interface MessagesJson {
  cjk_classes: string[];
  to_normalize_vi_chars: string;
  dmark_class: string;
  normalized_vi_chars: string[];
  latin1_excluded: string;
}

let model: Model | undefined;

function loadModel(): Model {
  if (model) return model;
  const dir = new URL("./data/", import.meta.url);
  const profiles = JSON.parse(
    gunzipSync(readFileSync(new URL("langdetect-profiles.json.gz", dir))).toString("utf8"),
  ) as ProfilesJson;
  const messages = JSON.parse(readFileSync(new URL("langdetect-messages.json", dir), "utf8")) as MessagesJson;
  // Python loads profiles in os.listdir order; sorted order is the one the cross-check with Python uses.
  const langs = Object.keys(profiles).sort();
  const wordProbs = new Map<string, Float64Array>();
  langs.forEach((lang, index) => {
    const profile = profiles[lang] as ProfilesJson[string];
    for (const [word, count] of Object.entries(profile.freq)) {
      let probs = wordProbs.get(word);
      if (!probs) {
        probs = new Float64Array(langs.length);
        wordProbs.set(word, probs);
      }
      const len = Array.from(word).length;
      if (len >= 1 && len <= 3) probs[index] = count / (profile.n_words[len - 1] as number);
    }
  });
  const cjkMap = new Map<string, string>();
  for (const cls of messages.cjk_classes) {
    const chars = Array.from(cls);
    for (const ch of chars) cjkMap.set(ch, chars[0] as string);
  }
  const escapeClass = (s: string) => s.replace(/[\\\]^-]/g, "\\$&");
  model = {
    langs,
    wordProbs,
    cjkMap,
    viPattern: new RegExp(
      `([${escapeClass(messages.to_normalize_vi_chars)}])([${escapeClass(messages.dmark_class)}])`,
      "gu",
    ),
    viAlphabet: Array.from(messages.to_normalize_vi_chars),
    viMarks: Array.from(messages.dmark_class),
    viNormalized: messages.normalized_vi_chars.map((s) => Array.from(s)),
    latin1Excluded: new Set(Array.from(messages.latin1_excluded)),
  };
  return model;
}

function inRange(cp: number, lo: number, hi: number): boolean {
  return cp >= lo && cp <= hi;
}

/** `NGram.normalize(ch)`: one representative per script block where langdetect merges characters. */
function normalizeChar(m: Model, ch: string): string {
  const cp = ch.codePointAt(0) as number;
  if (cp <= 0x7f) return ch < "A" || (ch > "Z" && ch < "a") || ch > "z" ? " " : ch;
  if (cp <= 0xff) return m.latin1Excluded.has(ch) ? " " : ch;
  if (inRange(cp, 0x0180, 0x024f)) {
    if (cp === 0x0219) return "\u015f";
    if (cp === 0x021b) return "\u0163";
    return ch;
  }
  if (inRange(cp, 0x2000, 0x206f)) return " ";
  if (inRange(cp, 0x0600, 0x06ff)) return cp === 0x06cc ? "\u064a" : ch;
  if (inRange(cp, 0x1e00, 0x1eff)) return cp >= 0x1ea0 ? "\u1ec3" : ch;
  if (inRange(cp, 0x3040, 0x309f)) return "\u3042";
  if (inRange(cp, 0x30a0, 0x30ff)) return "\u30a2";
  if (inRange(cp, 0x3100, 0x312f) || inRange(cp, 0x31a0, 0x31bf)) return "\u3105";
  if (inRange(cp, 0x4e00, 0x9fff)) return m.cjkMap.get(ch) ?? ch;
  if (inRange(cp, 0xac00, 0xd7af)) return "\uac00";
  return ch;
}

/** `Detector.append` then `cleaning_text`: the code points the n-grams are taken from. */
function prepareText(m: Model, input: string): string[] {
  let text = input.replace(URL_RE, " ").replace(MAIL_RE, " ");
  text = text.replace(m.viPattern, (_all, letter: string, mark: string) => {
    const row = m.viNormalized[m.viMarks.indexOf(mark)] as string[];
    return row[m.viAlphabet.indexOf(letter)] as string;
  });
  const chars: string[] = [];
  let pre = "";
  let i = 0;
  for (const ch of text) {
    if (i++ >= MAX_TEXT_LENGTH) break;
    if (ch !== " " || pre !== " ") chars.push(ch);
    pre = ch;
  }
  let latin = 0;
  let nonLatin = 0;
  for (const ch of chars) {
    if (ch >= "A" && ch <= "z") latin++;
    else if ((ch.codePointAt(0) as number) >= 0x300 && !inRange(ch.codePointAt(0) as number, 0x1e00, 0x1eff))
      nonLatin++;
  }
  if (latin * 2 < nonLatin) return chars.filter((ch) => ch < "A" || ch > "z");
  return chars;
}

/** `Detector._extract_ngrams`. */
function extractNgrams(m: Model, chars: string[]): string[] {
  const out: string[] = [];
  let grams: string[] = [" "];
  let capitalword = false;
  for (const raw of chars) {
    const ch = normalizeChar(m, raw);
    const last = grams[grams.length - 1] as string;
    let added = true;
    if (last === " ") {
      grams = [" "];
      capitalword = false;
      if (ch === " ") added = false;
    } else if (grams.length >= N_GRAM) grams = grams.slice(1);
    if (added) {
      grams.push(ch);
      if (isUpper(ch)) {
        if (isUpper(last)) capitalword = true;
      } else capitalword = false;
    }
    if (capitalword) continue;
    for (let n = 1; n <= N_GRAM; n++) {
      if (grams.length < n) break;
      const w = grams.slice(grams.length - n).join("");
      if (w !== " " && m.wordProbs.has(w)) out.push(w);
    }
  }
  return out;
}

/** Python's `random.gauss(0, 1)` (Box-Muller with the second value cached, as CPython does). */
class Gauss {
  private next: number | undefined;
  constructor(private readonly rng: PythonRandom) {}
  sample(): number {
    const cached = this.next;
    this.next = undefined;
    if (cached !== undefined) return cached;
    const x2pi = this.rng.random() * 2 * Math.PI;
    const g2rad = Math.sqrt(-2.0 * Math.log(1.0 - this.rng.random()));
    this.next = Math.sin(x2pi) * g2rad;
    return Math.cos(x2pi) * g2rad;
  }
}

export interface LanguageProbability {
  lang: string;
  prob: number;
}

/** `detect_langs(text)`: languages above 0.1, most probable first. Throws `NoFeaturesError` on no n-grams. */
export function detectLangs(text: string, seed = 0): LanguageProbability[] {
  const m = loadModel();
  const ngrams = extractNgrams(m, prepareText(m, text));
  if (ngrams.length === 0) throw new NoFeaturesError();
  const n = m.langs.length;
  const langprob = new Float64Array(n);
  const rng = new PythonRandom(seed);
  const gauss = new Gauss(rng);
  for (let t = 0; t < N_TRIAL; t++) {
    const prob = new Float64Array(n).fill(1.0 / n);
    const alpha = ALPHA_DEFAULT + gauss.sample() * ALPHA_WIDTH;
    const weight = alpha / BASE_FREQ;
    for (let i = 0; ; i++) {
      const probs = m.wordProbs.get(rng.choice(ngrams)) as Float64Array;
      for (let j = 0; j < n; j++) prob[j] = (prob[j] as number) * (weight + (probs[j] as number));
      if (i % 5 === 0 && (normalize(prob) > CONV_THRESHOLD || i >= ITERATION_LIMIT)) break;
    }
    for (let j = 0; j < n; j++) langprob[j] = (langprob[j] as number) + (prob[j] as number) / N_TRIAL;
  }
  const out: LanguageProbability[] = [];
  for (let j = 0; j < n; j++) {
    const p = langprob[j] as number;
    if (p > PROB_THRESHOLD) out.push({ lang: m.langs[j] as string, prob: p });
  }
  // Python's sort(reverse=True) is stable: equal probabilities keep profile order.
  return out.sort((a, b) => b.prob - a.prob);
}

/** `langdetect.detect(text)`: the most probable language, or "unknown". */
export function detectLanguage(text: string, seed = 0): string {
  return detectLangs(text, seed)[0]?.lang ?? "unknown";
}

function normalize(prob: Float64Array): number {
  let sum = 0;
  for (const p of prob) sum += p;
  let max = 0;
  for (let i = 0; i < prob.length; i++) {
    const p = (prob[i] as number) / sum;
    if (max < p) max = p;
    prob[i] = p;
  }
  return max;
}
