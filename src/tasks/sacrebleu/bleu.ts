/**
 * sacreBLEU's corpus BLEU (`sacrebleu/metrics/bleu.py`, v2.5), ported operation for operation so that scores agree
 * to the last bit: segment statistics (hypothesis and closest reference length, matched and total n-grams per
 * order, clipped by the maximum count over references), summed over the corpus, then the brevity penalty and the
 * geometric mean of smoothed precisions.
 */
import { pyRstrip, pySplitWhitespace } from "../pycompat/str.ts";
import { type BleuTokenizerName, bleuTokenizer } from "./tokenizers.ts";

export type SmoothMethod = "none" | "floor" | "add-k" | "exp";

export interface BleuOptions {
  lowercase?: boolean;
  tokenize?: BleuTokenizerName;
  smoothMethod?: SmoothMethod;
  /** For `floor` (default 0.1) and `add-k` (default 1). */
  smoothValue?: number | null;
  maxNgramOrder?: number;
  effectiveOrder?: boolean;
}

export interface BleuScore {
  score: number;
  counts: number[];
  totals: number[];
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
}

const SMOOTH_DEFAULTS: Record<SmoothMethod, number | null> = { none: null, floor: 0.1, "add-k": 1, exp: null };

/** n-grams of orders minOrder..maxOrder of the whitespace-split line (keys join tokens with a space). */
function wordNgrams(
  line: string,
  maxOrder: number,
): { ngrams: Map<string, number>; len: number; order: Map<string, number> } {
  const tokens = pySplitWhitespace(line);
  const ngrams = new Map<string, number>();
  const order = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = tokens.slice(i, i + n).join(" ");
      ngrams.set(key, (ngrams.get(key) ?? 0) + 1);
      order.set(key, n);
    }
  }
  return { ngrams, len: tokens.length, order };
}

function myLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/** `BLEU.compute_bleu` from sufficient statistics. */
export function computeBleu(
  correctIn: number[],
  totalIn: number[],
  sysLen: number,
  refLen: number,
  smoothMethod: SmoothMethod = "none",
  smoothValueIn: number | null = null,
  effectiveOrder = false,
  maxNgramOrder = 4,
): BleuScore {
  const correct = correctIn.slice();
  const total = totalIn.slice();
  const smoothValue = smoothValueIn ?? SMOOTH_DEFAULTS[smoothMethod] ?? 0;
  let bp = 1.0;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0.0;
  const precisions = new Array<number>(maxNgramOrder).fill(0);
  if (!correct.some((c) => c !== 0)) {
    return { score: 0, counts: correct, totals: total, precisions, bp, sysLen, refLen };
  }
  let smoothMteval = 1;
  let effOrder = maxNgramOrder;
  for (let n = 1; n <= precisions.length; n++) {
    if (smoothMethod === "add-k" && n > 1) {
      correct[n - 1] = (correct[n - 1] as number) + smoothValue;
      total[n - 1] = (total[n - 1] as number) + smoothValue;
    }
    const tot = total[n - 1] as number;
    if (tot === 0) break;
    if (effectiveOrder) effOrder = n;
    const cor = correct[n - 1] as number;
    if (cor === 0) {
      if (smoothMethod === "exp") {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * tot);
      } else if (smoothMethod === "floor") {
        precisions[n - 1] = (100 * smoothValue) / tot;
      }
    } else precisions[n - 1] = (100 * cor) / tot;
  }
  let logSum = 0;
  for (const p of precisions.slice(0, effOrder)) logSum += myLog(p);
  const score = bp * Math.exp(logSum / effOrder);
  return { score, counts: correct, totals: total, precisions, bp, sysLen, refLen };
}

interface RefInfo {
  ngrams: Map<string, number>;
  lens: number[];
}

/** Segment statistics `[hyp_len, ref_len, correct_1..N, total_1..N]`, reusable for bootstrap resampling. */
export class BleuStats {
  readonly opts: Required<Omit<BleuOptions, "smoothValue">> & { smoothValue: number | null };
  private readonly tok: (s: string) => string;

  constructor(opts: BleuOptions = {}) {
    this.opts = {
      lowercase: opts.lowercase ?? false,
      tokenize: opts.tokenize ?? "13a",
      smoothMethod: opts.smoothMethod ?? "exp",
      smoothValue: opts.smoothValue ?? null,
      maxNgramOrder: opts.maxNgramOrder ?? 4,
      effectiveOrder: opts.effectiveOrder ?? false,
    };
    this.tok = bleuTokenizer(this.opts.tokenize);
  }

  preprocess(sent: string): string {
    return this.tok(pyRstrip(this.opts.lowercase ? sent.toLowerCase() : sent));
  }

  private refInfo(refs: string[]): RefInfo {
    const merged = new Map<string, number>();
    const lens: number[] = [];
    for (const ref of refs) {
      const { ngrams, len } = wordNgrams(ref, this.opts.maxNgramOrder);
      lens.push(len);
      for (const [k, c] of ngrams) merged.set(k, Math.max(merged.get(k) ?? 0, c));
    }
    return { ngrams: merged, lens };
  }

  /** Statistics of one segment; `refs` are that segment's references (null/undefined ones are dropped). */
  segment(hypothesis: string, refs: Array<string | null | undefined>): number[] {
    const info = this.refInfo(
      refs.filter((r): r is string => r !== null && r !== undefined).map((r) => this.preprocess(r)),
    );
    const N = this.opts.maxNgramOrder;
    const { ngrams, len: hypLen, order } = wordNgrams(this.preprocess(hypothesis), N);
    let closestDiff = -1;
    let refLen = -1;
    for (const rl of info.lens) {
      const diff = Math.abs(hypLen - rl);
      if (closestDiff === -1 || diff < closestDiff) {
        closestDiff = diff;
        refLen = rl;
      } else if (diff === closestDiff && rl < refLen) refLen = rl;
    }
    const correct = new Array<number>(N).fill(0);
    const total = new Array<number>(N).fill(0);
    for (const [g, count] of ngrams) {
      const n = (order.get(g) as number) - 1;
      total[n] = (total[n] as number) + count;
      const r = info.ngrams.get(g);
      if (r !== undefined) correct[n] = (correct[n] as number) + Math.min(count, r);
    }
    return [hypLen, refLen, ...correct, ...total];
  }

  /** The corpus score from summed segment statistics. */
  score(stats: number[][]): BleuScore {
    const sum = sumOfLists(stats);
    const N = this.opts.maxNgramOrder;
    return computeBleu(
      sum.slice(2, 2 + N),
      sum.slice(2 + N),
      sum[0] as number,
      sum[1] as number,
      this.opts.smoothMethod,
      this.opts.smoothValue,
      this.opts.effectiveOrder,
      N,
    );
  }
}

/** sacrebleu's `sum_of_lists` (element-wise; a single list is returned as is). */
export function sumOfLists(lists: number[][]): number[] {
  if (lists.length === 1) return lists[0] as number[];
  const size = lists[0]?.length ?? 0;
  const total = new Array<number>(size).fill(0);
  for (const l of lists) for (let i = 0; i < size; i++) total[i] = (total[i] as number) + (l[i] as number);
  return total;
}

/**
 * Transposes sacrebleu's reference streams (`references[k][i]` = k-th reference of segment i) into per-segment
 * reference lists, truncating to the shortest stream as Python's `zip` does.
 */
export function segmentsOf(hypotheses: string[], references: Array<Array<string | null>>): Array<Array<string | null>> {
  const n = Math.min(hypotheses.length, ...references.map((r) => r.length));
  const out: Array<Array<string | null>> = [];
  for (let i = 0; i < n; i++) out.push(references.map((stream) => stream[i] ?? null));
  return out;
}

/** `sacrebleu.corpus_bleu(hypotheses, references, ...)`: `references` is a list of reference streams. */
export function corpusBleu(
  hypotheses: string[],
  references: Array<Array<string | null>>,
  opts: BleuOptions = {},
): BleuScore {
  const bleu = new BleuStats(opts);
  const segs = segmentsOf(hypotheses, references);
  return bleu.score(segs.map((refs, i) => bleu.segment(hypotheses[i] as string, refs)));
}

/** `sacrebleu.sentence_bleu` (effective order on by default, as sacrebleu's). */
export function sentenceBleu(hypothesis: string, references: string[], opts: BleuOptions = {}): BleuScore {
  const bleu = new BleuStats({ effectiveOrder: true, ...opts });
  return bleu.score([bleu.segment(hypothesis, references)]);
}
