/**
 * Per-document scores, as lm-evaluation-harness computes them: acc and acc_norm (log-likelihood divided by the
 * answer's length in characters), MC1/MC2 for TruthfulQA, exact_match with its normalisation options.
 */
import { compileRegex } from "./filters.ts";
import type { MetricSpec } from "./schema.ts";

function argmax(xs: number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if ((xs[i] as number) > (xs[best] as number)) best = i;
  return best;
}

export interface ChoiceScores {
  acc: number;
  acc_norm: number;
  mc1: number;
  mc2: number;
  /** Index the model picked (by raw log-likelihood). */
  pred: number;
}

/** `lls[i]` is the log-likelihood of choice i; `gold` the correct indices; `lengths` the choices' char lengths. */
export function scoreChoices(lls: number[], gold: number[], lengths: number[]): ChoiceScores {
  const pred = argmax(lls);
  const predNorm = argmax(lls.map((l, i) => l / Math.max(1, lengths[i] ?? 1)));
  const goldSet = new Set(gold);
  // MC2: normalised probability mass on the true answers, computed in log space for stability.
  const m = Math.max(...lls);
  let pTrue = 0;
  let pAll = 0;
  lls.forEach((l, i) => {
    const p = Math.exp(l - m);
    pAll += p;
    if (goldSet.has(i)) pTrue += p;
  });
  const acc = goldSet.has(pred) ? 1 : 0;
  return { acc, acc_norm: goldSet.has(predNorm) ? 1 : 0, mc1: acc, mc2: pAll > 0 ? pTrue / pAll : 0, pred };
}

const PUNCT = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

/** lm-eval's exact_match: regexes removed from both sides, then optional case and punctuation folding. */
export function exactMatch(pred: string, target: string, spec: MetricSpec): number {
  let p = pred;
  let t = target;
  for (const r of spec.regexes_to_ignore ?? []) {
    const re = compileRegex(r, "g");
    p = p.replace(re, "");
    t = t.replace(re, "");
  }
  if (spec.ignore_case) {
    p = p.toLowerCase();
    t = t.toLowerCase();
  }
  if (spec.ignore_punctuation) {
    p = p.replace(PUNCT, "");
    t = t.replace(PUNCT, "");
  }
  return p.trim() === t.trim() ? 1 : 0;
}
