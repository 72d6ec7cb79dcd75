/**
 * sacreBLEU's chrF / chrF++ (`sacrebleu/metrics/chrf.py`, v2.5): character n-gram (and optionally word n-gram)
 * precision and recall per order, the best reference per segment by its F-score, statistics summed over the
 * corpus, then the F-beta of the averaged precision and recall over the orders that occur ("effective order",
 * sacreBLEU's default) or with epsilon smoothing.
 */
import { pySplitWhitespace } from "../pycompat/str.ts";
import { segmentsOf, sumOfLists } from "./bleu.ts";

export interface ChrfOptions {
  charOrder?: number;
  wordOrder?: number;
  beta?: number;
  lowercase?: boolean;
  /** Include whitespace in character n-grams (`remove_whitespace=False` in `corpus_chrf`). */
  whitespace?: boolean;
  epsSmoothing?: boolean;
}

const PUNCTS = new Set(Array.from("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"));

function counter(items: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const it of items) m.set(it, (m.get(it) ?? 0) + 1);
  return m;
}

function charNgrams(line: string, maxOrder: number, whitespace: boolean): Array<Map<string, number>> {
  const chars = Array.from(whitespace ? line : pySplitWhitespace(line).join(""));
  const out: Array<Map<string, number>> = [];
  for (let n = 1; n <= maxOrder; n++) {
    const grams: string[] = [];
    for (let i = 0; i + n <= chars.length; i++) grams.push(chars.slice(i, i + n).join(""));
    out.push(counter(grams));
  }
  return out;
}

function wordNgrams(tokens: string[], n: number): Map<string, number> {
  const grams: string[] = [];
  for (let i = 0; i + n <= tokens.length; i++) grams.push(tokens.slice(i, i + n).join(" "));
  return counter(grams);
}

/** chrF+'s primitive tokenization: punctuation split from the end (or else the start) of each word. */
function removePunctuation(sent: string): string[] {
  const out: string[] = [];
  for (const w of pySplitWhitespace(sent)) {
    const chars = Array.from(w);
    if (chars.length === 1) out.push(w);
    else if (PUNCTS.has(chars[chars.length - 1] as string))
      out.push(chars.slice(0, -1).join(""), chars[chars.length - 1] as string);
    else if (PUNCTS.has(chars[0] as string)) out.push(chars[0] as string, chars.slice(1).join(""));
    else out.push(w);
  }
  return out;
}

export class ChrfStats {
  readonly charOrder: number;
  readonly wordOrder: number;
  readonly beta: number;
  readonly lowercase: boolean;
  readonly whitespace: boolean;
  readonly epsSmoothing: boolean;

  constructor(o: ChrfOptions = {}) {
    this.charOrder = o.charOrder ?? 6;
    this.wordOrder = o.wordOrder ?? 0;
    this.beta = o.beta ?? 2;
    this.lowercase = o.lowercase ?? false;
    this.whitespace = o.whitespace ?? false;
    this.epsSmoothing = o.epsSmoothing ?? false;
  }

  private ngrams(sent: string): Array<Map<string, number>> {
    const s = this.lowercase ? sent.toLowerCase() : sent;
    const all = charNgrams(s, this.charOrder, this.whitespace);
    if (this.wordOrder > 0) {
      const words = removePunctuation(s);
      for (let n = 1; n <= this.wordOrder; n++) all.push(wordNgrams(words, n));
    }
    return all;
  }

  /** `_compute_f_score` over flattened [hyp, ref, match] triples. */
  fScore(stats: number[]): number {
    const eps = 1e-16;
    let score = 0;
    let effective = 0;
    const factor = this.beta ** 2;
    let avgPrec = 0;
    let avgRec = 0;
    const order = this.charOrder + this.wordOrder;
    for (let i = 0; i < order; i++) {
      const nHyp = stats[3 * i] as number;
      const nRef = stats[3 * i + 1] as number;
      const nMatch = stats[3 * i + 2] as number;
      const prec = nHyp > 0 ? nMatch / nHyp : eps;
      const rec = nRef > 0 ? nMatch / nRef : eps;
      const denom = factor * prec + rec;
      score += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
      if (nHyp > 0 && nRef > 0) {
        avgPrec += prec;
        avgRec += rec;
        effective += 1;
      }
    }
    if (this.epsSmoothing) return (100 * score) / order;
    if (effective === 0) {
      avgPrec = 0;
      avgRec = 0;
    } else {
      avgPrec /= effective;
      avgRec /= effective;
    }
    if (avgPrec + avgRec) {
      let s = (1 + factor) * avgPrec * avgRec;
      s /= factor * avgPrec + avgRec;
      return 100 * s;
    }
    return 0;
  }

  segment(hypothesis: string, refs: Array<string | null | undefined>): number[] {
    const hyp = this.ngrams(hypothesis);
    let best: number[] = [];
    let bestF = -1;
    for (const ref of refs) {
      if (ref === null || ref === undefined) continue;
      const r = this.ngrams(ref);
      const stats: number[] = [];
      for (let k = 0; k < Math.min(hyp.length, r.length); k++) {
        const h = hyp[k] as Map<string, number>;
        const rr = r[k] as Map<string, number>;
        let match = 0;
        let hypCount = 0;
        for (const [g, c] of h) {
          hypCount += c;
          const rc = rr.get(g);
          if (rc !== undefined) match += Math.min(c, rc);
        }
        let refCount = 0;
        for (const c of rr.values()) refCount += c;
        stats.push(rr.size > 0 ? hypCount : 0, refCount, match);
      }
      const f = this.fScore(stats);
      if (f > bestF) {
        bestF = f;
        best = stats;
      }
    }
    return best;
  }

  score(stats: number[][]): number {
    return this.fScore(sumOfLists(stats));
  }
}

/** `sacrebleu.corpus_chrf(hypotheses, references, ...)` (references as streams). */
export function corpusChrf(hypotheses: string[], references: Array<Array<string | null>>, o: ChrfOptions = {}): number {
  const chrf = new ChrfStats(o);
  const segs = segmentsOf(hypotheses, references);
  return chrf.score(segs.map((refs, i) => chrf.segment(hypotheses[i] as string, refs)));
}

export function sentenceChrf(hypothesis: string, references: string[], o: ChrfOptions = {}): number {
  const chrf = new ChrfStats(o);
  return chrf.score([chrf.segment(hypothesis, references)]);
}
