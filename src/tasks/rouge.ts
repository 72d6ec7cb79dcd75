/**
 * Google's `rouge_score` (the package lm-eval's TruthfulQA generation hook scores with), ported: the default
 * tokenizer (lower-case, runs of `[a-z0-9]`, no stemming), ROUGE-N from clipped n-gram counts, ROUGE-L from the
 * longest common subsequence, and ROUGE-Lsum's summary-level union LCS over newline-separated sentences with
 * the double-count guard of ROUGE-1.5.5. Scores are ratios of integers, so they agree bit for bit.
 */

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

export type RougeType = `rouge${number}` | "rougeL" | "rougeLsum";

export function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

const ZERO: RougeScore = { precision: 0, recall: 0, fmeasure: 0 };

/** The default tokenizer without stemming. */
export function rougeTokenize(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

function ngrams(tokens: string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const k = tokens.slice(i, i + n).join(" ");
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

function scoreNgrams(target: Map<string, number>, prediction: Map<string, number>): RougeScore {
  let inter = 0;
  for (const [g, c] of target) inter += Math.min(c, prediction.get(g) ?? 0);
  let t = 0;
  for (const c of target.values()) t += c;
  let p = 0;
  for (const c of prediction.values()) p += c;
  const precision = inter / Math.max(p, 1);
  const recall = inter / Math.max(t, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

function lcsTable(ref: string[], can: string[]): number[][] {
  const t = Array.from({ length: ref.length + 1 }, () => new Array<number>(can.length + 1).fill(0));
  for (let i = 1; i <= ref.length; i++) {
    const row = t[i] as number[];
    const prev = t[i - 1] as number[];
    for (let j = 1; j <= can.length; j++) {
      row[j] =
        ref[i - 1] === can[j - 1] ? (prev[j - 1] as number) + 1 : Math.max(prev[j] as number, row[j - 1] as number);
    }
  }
  return t;
}

/** Indices into `ref` of one longest common subsequence (`_backtrack_norec`). */
export function lcsIndices(ref: string[], can: string[]): number[] {
  const t = lcsTable(ref, can);
  let i = ref.length;
  let j = can.length;
  const out: number[] = [];
  while (i > 0 && j > 0) {
    if (ref[i - 1] === can[j - 1]) {
      out.unshift(i - 1);
      i--;
      j--;
    } else if (((t[i] as number[])[j - 1] as number) > ((t[i - 1] as number[])[j] as number)) j--;
    else i--;
  }
  return out;
}

function scoreLcs(target: string[], prediction: string[]): RougeScore {
  if (target.length === 0 || prediction.length === 0) return ZERO;
  const len = ((lcsTable(target, prediction)[target.length] as number[])[prediction.length] as number) ?? 0;
  const precision = len / prediction.length;
  const recall = len / target.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Tokens of `ref` in the union of its LCS with each candidate sentence. */
export function unionLcs(ref: string[], candidates: string[][]): string[] {
  const idx = new Set<number>();
  for (const c of candidates) for (const i of lcsIndices(ref, c)) idx.add(i);
  return [...idx].sort((a, b) => a - b).map((i) => ref[i] as string);
}

export function summaryLevelLcs(refSents: string[][], canSents: string[][]): RougeScore {
  if (refSents.length === 0 || canSents.length === 0) return ZERO;
  const m = refSents.reduce((a, s) => a + s.length, 0);
  const n = canSents.reduce((a, s) => a + s.length, 0);
  if (!n || !m) return ZERO;
  const countR = new Map<string, number>();
  const countC = new Map<string, number>();
  for (const s of refSents) for (const t of s) countR.set(t, (countR.get(t) ?? 0) + 1);
  for (const s of canSents) for (const t of s) countC.set(t, (countC.get(t) ?? 0) + 1);
  let hits = 0;
  for (const r of refSents) {
    for (const t of unionLcs(r, canSents)) {
      if ((countC.get(t) ?? 0) > 0 && (countR.get(t) ?? 0) > 0) {
        hits++;
        countC.set(t, (countC.get(t) as number) - 1);
        countR.set(t, (countR.get(t) as number) - 1);
      }
    }
  }
  const recall = hits / m;
  const precision = hits / n;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

function sentences(text: string): string[][] {
  return text
    .split("\n")
    .filter((s) => s.length > 0)
    .map(rougeTokenize);
}

/** `RougeScorer(types).score(target, prediction)`. */
export function rougeScore(
  types: readonly RougeType[],
  target: string,
  prediction: string,
): Record<string, RougeScore> {
  const tt = rougeTokenize(target);
  const pt = rougeTokenize(prediction);
  const out: Record<string, RougeScore> = {};
  for (const type of types) {
    if (type === "rougeL") out[type] = scoreLcs(tt, pt);
    else if (type === "rougeLsum") out[type] = summaryLevelLcs(sentences(target), sentences(prediction));
    else {
      const m = /^rouge([0-9])$/.exec(type);
      const n = Number(m?.[1]);
      if (!m || n <= 0) throw new Error(`Invalid rouge type: ${type}`);
      out[type] = scoreNgrams(ngrams(tt, n), ngrams(pt, n));
    }
  }
  return out;
}
