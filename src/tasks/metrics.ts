/**
 * Per-document scores, as lm-evaluation-harness computes them (`ConfigurableTask.process_results` and
 * `lm_eval/api/metrics.py`), and lm-eval's metric registry: each metric's default aggregation and
 * `higher_is_better` (lm-eval's values, quirks included: `ter` is registered as higher-is-better).
 *
 * The per-document value of a corpus-level metric is what its aggregation reads: `(gold, pred)` for f1 and mcc,
 * `(reference, prediction)` for bleu/chrf/ter, `(loglikelihood, words|bytes)` for the rolling perplexities.
 */
import { ModelmapError } from "../core/errors.ts";
import { numpySum } from "./aggregations.ts";
import { pyCompile, pySub } from "./pycompat/regex.ts";
import { ASCII_PUNCTUATION, pyStr } from "./pycompat/str.ts";

export type OutputType = "loglikelihood" | "loglikelihood_rolling" | "multiple_choice" | "generate_until";

export interface MetricInfo {
  /** lm-eval's registered `higher_is_better`. */
  higherIsBetter: boolean;
  /** Name of the default aggregation (see `aggregations.ts`). */
  aggregation: string;
  outputTypes: readonly OutputType[];
}

/** lm-eval's metric registry (`register_metric` calls in `lm_eval/api/metrics.py` at 4e7e0d4). */
export const METRIC_REGISTRY: Readonly<Record<string, MetricInfo>> = {
  acc: { higherIsBetter: true, aggregation: "mean", outputTypes: ["loglikelihood", "multiple_choice"] },
  acc_norm: { higherIsBetter: true, aggregation: "mean", outputTypes: ["loglikelihood", "multiple_choice"] },
  acc_mutual_info: { higherIsBetter: true, aggregation: "mean", outputTypes: ["multiple_choice"] },
  acc_bytes: { higherIsBetter: true, aggregation: "mean", outputTypes: ["loglikelihood", "multiple_choice"] },
  acc_all: { higherIsBetter: true, aggregation: "mean", outputTypes: ["loglikelihood"] },
  exact_match: { higherIsBetter: true, aggregation: "mean", outputTypes: ["generate_until"] },
  perplexity: { higherIsBetter: false, aggregation: "perplexity", outputTypes: ["loglikelihood"] },
  likelihood: { higherIsBetter: true, aggregation: "mean", outputTypes: ["multiple_choice"] },
  word_perplexity: {
    higherIsBetter: false,
    aggregation: "weighted_perplexity",
    outputTypes: ["loglikelihood_rolling"],
  },
  byte_perplexity: {
    higherIsBetter: false,
    aggregation: "weighted_perplexity",
    outputTypes: ["loglikelihood_rolling"],
  },
  bits_per_byte: { higherIsBetter: false, aggregation: "bits_per_byte", outputTypes: ["loglikelihood_rolling"] },
  mcc: { higherIsBetter: true, aggregation: "matthews_corrcoef", outputTypes: ["multiple_choice"] },
  f1: { higherIsBetter: true, aggregation: "f1", outputTypes: ["multiple_choice"] },
  bleu: { higherIsBetter: true, aggregation: "bleu", outputTypes: ["generate_until"] },
  chrf: { higherIsBetter: true, aggregation: "chrf", outputTypes: ["generate_until"] },
  // lm-eval registers TER as higher-is-better (sic); its results JSON says so, and so does modelmap's.
  ter: { higherIsBetter: true, aggregation: "ter", outputTypes: ["generate_until"] },
  brier_score: { higherIsBetter: false, aggregation: "brier_score", outputTypes: ["multiple_choice"] },
  bypass: {
    higherIsBetter: true,
    aggregation: "bypass",
    outputTypes: ["loglikelihood", "multiple_choice", "generate_until"],
  },
  // modelmap's names for TruthfulQA's MC1/MC2 (lm-eval reports them as `acc` of truthfulqa_mc1/mc2).
  mc1: { higherIsBetter: true, aggregation: "mean", outputTypes: ["multiple_choice"] },
  mc2: { higherIsBetter: true, aggregation: "mean", outputTypes: ["multiple_choice"] },
};

export const METRIC_NAMES = Object.keys(METRIC_REGISTRY).sort();

/** The metrics lm-eval uses when a task has no `metric_list` (`DEFAULT_METRIC_REGISTRY`). */
export const DEFAULT_METRICS: Readonly<Record<OutputType, readonly string[]>> = {
  loglikelihood: ["perplexity", "acc"],
  loglikelihood_rolling: ["word_perplexity", "byte_perplexity", "bits_per_byte"],
  multiple_choice: ["acc", "acc_norm"],
  generate_until: ["exact_match"],
};

export function metricInfo(name: string): MetricInfo | undefined {
  return METRIC_REGISTRY[name];
}

/** exact_match's options, as lm-eval's YAMLs spell them. */
export interface ExactMatchOptions {
  ignore_case?: boolean | undefined;
  ignore_punctuation?: boolean | undefined;
  ignore_numbers?: boolean | undefined;
  /** Python regexes removed (re.sub) from prediction and reference, in order, before the other options. */
  regexes_to_ignore?: string[] | null | undefined;
}

const PUNCT_SET = new Set(Array.from(ASCII_PUNCTUATION));

function normaliseForMatch(s: string, o: ExactMatchOptions): string {
  let x = s;
  for (const r of o.regexes_to_ignore ?? []) x = pySub(r, "", x);
  if (o.ignore_case) x = x.toLowerCase();
  if (o.ignore_punctuation) x = Array.from(x, (c) => (PUNCT_SET.has(c) ? "" : c)).join("");
  if (o.ignore_numbers) x = x.replace(/[0-9]/g, "");
  // numpy's fixed-width unicode arrays drop trailing NULs, so "a\0" == "a" in lm-eval's comparison.
  return x.replace(/\0+$/, "");
}

/** lm-eval's `exact_match_hf_evaluate`: the mean over pairs of (prediction == reference) after the options. */
export function exactMatchHf(predictions: unknown[], references: unknown[], o: ExactMatchOptions = {}): number {
  if (predictions.length !== references.length) {
    throw new ModelmapError("input", "exact_match: predictions and references differ in length");
  }
  let hits = 0;
  predictions.forEach((p, i) => {
    const r = references[i];
    if (typeof p !== "string" || typeof r !== "string") {
      if (o.regexes_to_ignore?.length || o.ignore_case || o.ignore_punctuation || o.ignore_numbers) {
        throw new ModelmapError(
          "input",
          `exact_match: options need strings, got ${JSON.stringify(p)} and ${JSON.stringify(r)}`,
        );
      }
      if (JSON.stringify(p) === JSON.stringify(r)) hits++;
      return;
    }
    if (normaliseForMatch(p, o) === normaliseForMatch(r, o)) hits++;
  });
  return hits / predictions.length;
}

/** One prediction against one reference (1 or 0); `o` may be a whole `metric_list` entry (other keys ignored). */
export function exactMatch(pred: string, target: string, o: ExactMatchOptions & Record<string, unknown> = {}): number {
  return exactMatchHf([pred], [target], o);
}

/** numpy's argmax: the first maximum, or the first NaN when there is one. */
export function npArgmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] as number;
    if (Number.isNaN(x)) return i;
    if (x > (xs[best] as number)) best = i;
  }
  return best;
}

/** `lm_eval.utils.softmax`: exp(x - max) / sum (numpy's sum). */
export function softmax(xs: readonly number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = numpySum(e);
  return e.map((x) => x / s);
}

/** A metric of the task's `metric_list` with its keyword arguments (the entry's keys other than metric etc.). */
export interface MetricUse {
  name: string;
  kwargs?: Record<string, unknown>;
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** `loglikelihood` output: one `[ll, isGreedy]` result. */
export function scoreLoglikelihood(result: [number, boolean], metrics: readonly string[]): Record<string, unknown> {
  const [ll, isGreedy] = result;
  const out: Record<string, unknown> = {};
  if (metrics.includes("perplexity")) out.perplexity = ll;
  if (metrics.includes("acc")) out.acc = isGreedy ? 1 : 0;
  return out;
}

/** lm-eval's default word count for rolling perplexity: `len(re.split(r"\s+", doc))`. */
export function countWords(text: string): number {
  return pyCompile("\\s+").split(text).length;
}

/** `loglikelihood_rolling` output: the document's total log-likelihood and its target text. */
export function scoreRolling(
  loglikelihood: number,
  target: string,
  metrics: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (metrics.includes("word_perplexity")) out.word_perplexity = [loglikelihood, countWords(target)];
  if (metrics.includes("byte_perplexity")) out.byte_perplexity = [loglikelihood, utf8Length(target)];
  if (metrics.includes("bits_per_byte")) out.bits_per_byte = [loglikelihood, utf8Length(target)];
  return out;
}

export interface MultipleChoiceInput {
  /** `[ll, isGreedy]` per request: one per choice, then (for acc_mutual_info) one unconditional per choice. */
  results: ReadonlyArray<readonly [number, boolean]>;
  choices: readonly string[];
  /** `doc_to_target` (or, for multiple-input tasks, `doc_to_text`): an index, a choice string, or a list of indices. */
  gold: number | string | number[];
  metrics: readonly string[];
}

/** `multiple_choice` output, as lm-eval's `process_results` builds it. */
export function scoreMultipleChoice(input: MultipleChoiceInput): Record<string, unknown> {
  const { choices, metrics } = input;
  let lls = input.results.map((r) => r[0]);
  const isGreedy = input.results.map((r) => r[1]);
  let llsUnconditional: number[] | undefined;
  if (2 * choices.length === lls.length && metrics.includes("acc_mutual_info")) {
    llsUnconditional = lls.slice(choices.length);
    lls = lls.slice(0, choices.length);
  }
  const completionLen = choices.map((c) => Array.from(c).length);
  const byteLen = choices.map((c) => utf8Length(c));
  const pred = npArgmax(lls);
  const predNorm = npArgmax(lls.map((l, i) => l / (completionLen[i] as number)));
  const predByte = npArgmax(lls.map((l, i) => l / (byteLen[i] as number)));

  const multipleTarget = Array.isArray(input.gold);
  let gold: number | number[];
  if (Array.isArray(input.gold)) gold = input.gold.map((g) => (g < choices.length ? g : -100));
  else if (typeof input.gold === "number") gold = input.gold < choices.length ? input.gold : -100;
  else gold = choices.includes(input.gold) ? choices.indexOf(input.gold) : -100;

  let acc: number;
  let accNorm: number;
  let accBytes: number;
  let exact: number;
  if (Array.isArray(gold)) {
    acc = gold.includes(pred) ? 1 : 0;
    accNorm = gold.includes(predNorm) ? 1 : 0;
    accBytes = gold.includes(predByte) ? 1 : 0;
    exact = gold.some((i) => (i !== -100 ? pyIndexBool(isGreedy, i) : false)) ? 1 : 0;
  } else {
    acc = pred === gold ? 1 : 0;
    accNorm = predNorm === gold ? 1 : 0;
    accBytes = predByte === gold ? 1 : 0;
    exact = gold !== -100 ? (pyIndexBool(isGreedy, gold) ? 1 : 0) : 0;
  }
  const out: Record<string, unknown> = {};
  if (metrics.includes("acc")) out.acc = acc;
  if (metrics.includes("f1")) out.f1 = [gold, pred];
  if (metrics.includes("mcc")) out.mcc = [gold, pred];
  if (metrics.includes("acc_norm")) out.acc_norm = accNorm;
  if (metrics.includes("acc_bytes")) out.acc_bytes = accBytes;
  if (metrics.includes("exact_match")) out.exact_match = exact;
  if (metrics.includes("brier_score")) out.brier_score = [gold, softmax(lls)];
  if (metrics.includes("likelihood")) out.likelihood = [gold, lls];
  if (metrics.includes("acc_mutual_info")) {
    if (!llsUnconditional) {
      throw new ModelmapError("input", "acc_mutual_info needs one unconditional log-likelihood per choice");
    }
    const mi = lls.map((l, i) => l - (llsUnconditional?.[i] as number));
    out.acc_mutual_info = npArgmax(mi) === gold ? 1 : 0;
  }
  if (multipleTarget && (metrics.includes("mc1") || metrics.includes("mc2"))) {
    throw new ModelmapError("input", "mc1/mc2 are modelmap metrics for one gold index list; use scoreChoices");
  }
  return out;
}

function pyIndexBool(xs: readonly boolean[], i: number): boolean {
  const j = i < 0 ? xs.length + i : i;
  if (j < 0 || j >= xs.length)
    throw new ModelmapError("input", `gold index ${i} out of range for ${xs.length} choices`);
  return xs[j] as boolean;
}

export interface GenerateInput {
  /** The filtered response of one filter pipeline. */
  result: unknown;
  /** `doc_to_target(doc)`. */
  gold: unknown;
  /** `doc_to_choice(doc)` when the task has one (then `gold` is an index into it). */
  choices?: readonly string[] | undefined;
  /** True when the task's targets are lists (lm-eval's `multiple_target`). */
  multipleTarget?: boolean;
  metrics: readonly MetricUse[];
}

/** `generate_until` output, as lm-eval's `process_results` builds it (metric functions of its registry). */
export function scoreGenerate(input: GenerateInput): Record<string, unknown> {
  const { result } = input;
  let gold = input.gold;
  const names = input.metrics.map((m) => m.name);
  if (input.choices) {
    const gi = typeof gold === "number" ? gold : Number(gold);
    gold = input.choices[gi < 0 ? input.choices.length + gi : gi];
  } else if (input.multipleTarget) {
    gold = Array.isArray(gold) ? [...gold] : Array.from(String(gold));
  } else if (typeof gold !== typeof result && !(names.includes("bypass") || Array.isArray(result))) {
    if (typeof result === "string") gold = pyStr(gold);
  }
  const out: Record<string, unknown> = {};
  for (const m of input.metrics) {
    const kwargs = (m.kwargs ?? {}) as ExactMatchOptions;
    if (input.multipleTarget) {
      const golds = Array.isArray(gold) ? gold : [gold];
      if (m.name === "exact_match") {
        const score = exactMatchHf(
          golds.map(() => result),
          golds,
          kwargs,
        );
        out[m.name] = score > 0 ? 1 : 0;
      } else {
        // lm-eval calls the passthrough metric per gold option and counts any truthy return: always 1.0.
        out[m.name] = golds.length > 0 ? 1 : 0;
      }
      continue;
    }
    if (m.name === "exact_match") out.exact_match = exactMatchHf([result], [gold], kwargs);
    else if (m.name === "bypass") out.bypass = null;
    else out[m.name] = [gold, result];
  }
  return out;
}

export interface ChoiceScores {
  acc: number;
  acc_norm: number;
  mc1: number;
  mc2: number;
  /** Index the model picked (by raw log-likelihood). */
  pred: number;
}

/**
 * modelmap's compact scorer for its own task files: `lls[i]` is the log-likelihood of choice i; `gold` the
 * correct indices; `lengths` the choices' lengths in characters. MC2 is computed in log space for stability.
 */
export function scoreChoices(lls: number[], gold: number[], lengths: number[]): ChoiceScores {
  const pred = npArgmax(lls);
  const predNorm = npArgmax(lls.map((l, i) => l / Math.max(1, lengths[i] ?? 1)));
  const goldSet = new Set(gold);
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
