/**
 * sacreBLEU's TER (`sacrebleu/metrics/ter.py` and `lib_ter.py`, v2.5), a port of its Tercom re-implementation:
 * greedy block shifts chosen by the same heuristics and tie-breaks (score, length, earliest start, earliest
 * target, then the shifted word list itself), a beam edit distance around the length-ratio diagonal, and the
 * same caps on shift size, distance and the number of candidates. Edits over the average reference length.
 */
import { pyCompareStrings, pyRstrip, pySplitWhitespace } from "../pycompat/str.ts";
import { segmentsOf, sumOfLists } from "./bleu.ts";
import { type TercomOptions, tercomTokenize } from "./tokenizers.ts";

const COST_INS = 1;
const COST_DEL = 1;
const COST_SUB = 1;
const MAX_SHIFT_SIZE = 10;
const MAX_SHIFT_DIST = 50;
const BEAM_WIDTH = 25;
const MAX_SHIFT_CANDIDATES = 1000;
const INT_INFINITY = 1e16;

type Op = "i" | "d" | " " | "s" | "x";
type Cell = [number, Op];

/** Edit distance to a fixed reference, with the beam of `BeamEditDistance` (its cache changes no result). */
class BeamEditDistance {
  private readonly nRef: number;

  constructor(private readonly ref: string[]) {
    this.nRef = ref.length;
  }

  distance(hyp: string[]): [number, string] {
    const nH = hyp.length;
    const dist: Cell[][] = [];
    dist.push(Array.from({ length: this.nRef + 1 }, (_, i): Cell => [i * COST_INS, "i"]));
    for (let i = 0; i < nH; i++) dist.push(Array.from({ length: this.nRef + 1 }, (): Cell => [INT_INFINITY, "x"]));
    const lengthRatio = nH > 0 ? this.nRef / nH : 1;
    const beamWidth = BEAM_WIDTH < lengthRatio / 2 ? Math.ceil(lengthRatio / 2 + BEAM_WIDTH) : BEAM_WIDTH;
    for (let i = 1; i <= nH; i++) {
      const pseudoDiag = Math.floor(i * lengthRatio);
      const minJ = Math.max(0, pseudoDiag - beamWidth);
      let maxJ = Math.min(this.nRef + 1, pseudoDiag + beamWidth);
      if (i === nH) maxJ = this.nRef + 1;
      const row = dist[i] as Cell[];
      const prev = dist[i - 1] as Cell[];
      for (let j = minJ; j < maxJ; j++) {
        if (j === 0) {
          row[j] = [(prev[j] as Cell)[0] + COST_DEL, "d"];
          continue;
        }
        const same = hyp[i - 1] === this.ref[j - 1];
        const ops: Cell[] = [
          [(prev[j - 1] as Cell)[0] + (same ? 0 : COST_SUB), same ? " " : "s"],
          [(prev[j] as Cell)[0] + COST_DEL, "d"],
          [(row[j - 1] as Cell)[0] + COST_INS, "i"],
        ];
        for (const op of ops) if ((row[j] as Cell)[0] > op[0]) row[j] = op;
      }
    }
    let trace = "";
    let i = nH;
    let j = this.nRef;
    while (i > 0 || j > 0) {
      const op = ((dist[i] as Cell[])[j] as Cell)[1];
      trace = op + trace;
      if (op === "s" || op === " ") {
        i--;
        j--;
      } else if (op === "i") j--;
      else if (op === "d") i--;
      else throw new Error(`TER: unknown operation '${op}'`);
    }
    return [((dist[nH] as Cell[])[this.nRef] as Cell)[0], trace];
  }
}

function flipTrace(trace: string): string {
  let out = "";
  for (const c of trace) out += c === "i" ? "d" : c === "d" ? "i" : c;
  return out;
}

function traceToAlignment(trace: string): { align: Map<number, number>; refErr: number[]; hypErr: number[] } {
  let posHyp = -1;
  let posRef = -1;
  const hypErr: number[] = [];
  const refErr: number[] = [];
  const align = new Map<number, number>();
  for (const op of trace) {
    if (op === " " || op === "s") {
      posHyp++;
      posRef++;
      align.set(posRef, posHyp);
      const e = op === "s" ? 1 : 0;
      hypErr.push(e);
      refErr.push(e);
    } else if (op === "i") {
      posHyp++;
      hypErr.push(1);
    } else if (op === "d") {
      posRef++;
      align.set(posRef, posHyp);
      refErr.push(1);
    } else throw new Error(`TER: unknown operation '${op}'`);
  }
  return { align, refErr, hypErr };
}

function* findShiftedPairs(h: string[], r: string[]): Generator<[number, number, number]> {
  for (let sh = 0; sh < h.length; sh++) {
    for (let sr = 0; sr < r.length; sr++) {
      if (Math.abs(sr - sh) > MAX_SHIFT_DIST) continue;
      let length = 0;
      while (h[sh + length] === r[sr + length] && length < MAX_SHIFT_SIZE) {
        length++;
        yield [sh, sr, length];
        if (h.length === sh + length || r.length === sr + length) break;
      }
    }
  }
}

function performShift(words: string[], start: number, length: number, target: number): string[] {
  if (target < start) {
    return [
      ...words.slice(0, target),
      ...words.slice(start, start + length),
      ...words.slice(target, start),
      ...words.slice(start + length),
    ];
  }
  if (target > start + length) {
    return [
      ...words.slice(0, start),
      ...words.slice(start + length, target),
      ...words.slice(start, start + length),
      ...words.slice(target),
    ];
  }
  return [
    ...words.slice(0, start),
    ...words.slice(start + length, length + target),
    ...words.slice(start, start + length),
    ...words.slice(length + target),
  ];
}

function sum(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

type Candidate = [number, number, number, number, string[]];

/** Python tuple comparison of two candidates (the word lists compared element-wise by code point). */
function greater(a: Candidate, b: Candidate): boolean {
  for (let k = 0; k < 4; k++) if (a[k] !== b[k]) return (a[k] as number) > (b[k] as number);
  const x = a[4];
  const y = b[4];
  for (let k = 0; k < Math.min(x.length, y.length); k++) {
    const c = pyCompareStrings(x[k] as string, y[k] as string);
    if (c !== 0) return c > 0;
  }
  return x.length > y.length;
}

function shift(h: string[], r: string[], ed: BeamEditDistance, checkedIn: number): [number, string[], number] {
  let checked = checkedIn;
  const [preScore, invTrace] = ed.distance(h);
  const { align, refErr, hypErr } = traceToAlignment(flipTrace(invTrace));
  let best: Candidate | null = null;
  for (const [startH, startR, length] of findShiftedPairs(h, r)) {
    if (sum(hypErr.slice(startH, startH + length)) === 0) continue;
    if (sum(refErr.slice(startR, startR + length)) === 0) continue;
    const a = align.get(startR) as number;
    if (startH <= a && a < startH + length) continue;
    let prevIdx = -1;
    for (let offset = -1; offset < length; offset++) {
      let idx: number;
      if (startR + offset === -1) idx = 0;
      else if (align.has(startR + offset)) idx = (align.get(startR + offset) as number) + 1;
      else break;
      if (idx === prevIdx) continue;
      prevIdx = idx;
      const shifted = performShift(h, startH, length, idx);
      const cand: Candidate = [preScore - ed.distance(shifted)[0], length, -startH, -idx, shifted];
      checked++;
      if (!best || greater(cand, best)) best = cand;
    }
    if (checked >= MAX_SHIFT_CANDIDATES) break;
  }
  if (!best) return [0, h, checked];
  return [best[0], best[4], checked];
}

/** `translation_edit_rate(words_hyp, words_ref)`: [number of edits, reference length]. */
export function translationEditRate(hyp: string[], ref: string[]): [number, number] {
  if (ref.length === 0) return [hyp.length, 0];
  const ed = new BeamEditDistance(ref);
  let shifts = 0;
  let input = hyp;
  let checked = 0;
  for (;;) {
    const [delta, next, c] = shift(input, ref, ed, checked);
    checked = c;
    if (checked >= MAX_SHIFT_CANDIDATES) break;
    if (delta <= 0) break;
    shifts++;
    input = next;
  }
  const [distance] = ed.distance(input);
  return [shifts + distance, ref.length];
}

export class TerStats {
  constructor(readonly opts: TercomOptions = {}) {}

  preprocess(sent: string): string {
    return tercomTokenize(pyRstrip(sent), this.opts);
  }

  /** `[best number of edits, average reference length]`. */
  segment(hypothesis: string, refs: Array<string | null | undefined>): number[] {
    const hyp = pySplitWhitespace(this.preprocess(hypothesis));
    const refWords = refs
      .filter((r): r is string => r !== null && r !== undefined)
      .map((r) => pySplitWhitespace(this.preprocess(r)));
    let refLengths = 0;
    let best = INT_INFINITY;
    for (const words of refWords) {
      const [edits, len] = translationEditRate(hyp, words);
      refLengths += len;
      if (edits < best) best = edits;
    }
    return [best, refLengths / refWords.length];
  }

  score(stats: number[][]): number {
    const [edits, refLen] = sumOfLists(stats) as [number, number];
    let s: number;
    if (refLen > 0) s = edits / refLen;
    else if (edits > 0) s = 1.0;
    else s = 0.0;
    return 100 * s;
  }
}

/** `sacrebleu.corpus_ter(hypotheses, references, ...)` (references as streams). */
export function corpusTer(
  hypotheses: string[],
  references: Array<Array<string | null>>,
  o: TercomOptions = {},
): number {
  const ter = new TerStats(o);
  const segs = segmentsOf(hypotheses, references);
  return ter.score(segs.map((refs, i) => ter.segment(hypotheses[i] as string, refs)));
}
