/**
 * Scores one document from its requests' outcomes and builds its typed sample (requests as sent, raw answers,
 * filtered answers per filter, target, scores, lm-eval's hashes, timings). A failed request makes the sample an
 * error with its reason, never a crash.
 */
import { z } from "zod";
import { sha256 } from "../core/hash.ts";
import type { EvalSample, Resp, SampleHashes, Score } from "../store/run-log.ts";
import { applyFilter, NO_FILTER } from "../tasks/filters.ts";
import type { DocInstance } from "../tasks/instance.ts";
import { exactMatch, scoreChoices } from "../tasks/metrics.ts";
import type { MetricSpec, TaskConfig } from "../tasks/schema.ts";
import type { RequestOutcome } from "./execute.ts";
import { pyJsonDumps, pyStr } from "./py-format.ts";

const LlValue = z.object({ logprob: z.number(), isGreedy: z.boolean(), tokenCount: z.number() });
const GenValue = z.object({ text: z.string(), finishReason: z.string() });
const RollValue = z.object({ logprob: z.number(), tokenCount: z.number() });

export function defaultMetrics(cfg: TaskConfig): MetricSpec[] {
  if (cfg.metric_list && cfg.metric_list.length > 0) return cfg.metric_list;
  const outputType = cfg.output_type ?? "generate_until";
  if (outputType === "multiple_choice") return [{ metric: "acc" }, { metric: "acc_norm" }];
  if (outputType === "generate_until") return [{ metric: "exact_match" }];
  // lm-eval's defaults for single log-likelihood requests.
  if (outputType === "loglikelihood") return [{ metric: "perplexity" }, { metric: "acc" }];
  return [{ metric: "word_perplexity" }];
}

/** What the task's accumulator reads of a scored document. */
export interface ScoredForAccumulator {
  scores: Score[];
  error: string | null;
  errorReason?: string | undefined;
  rolling?: { logprob: number; tokens: number; words: number } | undefined;
  /** Chance of a correct random pick (multiple choice). */
  chance: number;
}

export interface ScoredSample extends ScoredForAccumulator {
  sample: EvalSample;
}

/** The first argument of the document's first request: what lm-eval's `prompt_hash` hashes. */
function firstArgument(inst: DocInstance): string {
  const r = inst.requests[0];
  if (!r) return "";
  return r.kind === "loglikelihood" ? r.context : r.kind === "generate" ? r.prompt : r.text;
}

/** lm-eval's per-sample hashes (`evaluator.py`): the document as `json.dumps(indent=2)`, the prompt, str(target). */
export function sampleHashes(doc: unknown, prompt: string, target: unknown): SampleHashes {
  return { doc: sha256(pyJsonDumps(doc, 2)), prompt: sha256(prompt), target: sha256(pyStr(target)) };
}

export function scoreDoc(
  task: string,
  cfg: TaskConfig,
  inst: DocInstance,
  keys: string[],
  outcomes: Map<string, RequestOutcome>,
  doc: Record<string, unknown>,
): ScoredSample {
  const outs = keys.map((k) => outcomes.get(k));
  const ms = outs.reduce((a, o) => a + (o?.ms ?? 0), 0);
  const cached = outs.every((o) => o?.ok === true && o.cached);
  // lm-eval's `doc_to_target(doc)` in its own type, and its generation arguments as passed.
  const target = inst.target;
  const gk = inst.genKwargs;
  const gold = Array.isArray(inst.gold)
    ? inst.multiInput
      ? inst.gold
      : inst.gold.map((g) => inst.choices?.[g] ?? g)
    : inst.gold;
  const sample: EvalSample = {
    task,
    docId: inst.docId,
    doc,
    target,
    gold,
    arguments: inst.requests.map((r) => (r.kind === "generate" ? { ...r, params: { ...r.params } } : r)),
    ...(gk ? { genKwargs: gk } : {}),
    resps: [],
    filteredResps: {},
    hashes: sampleHashes(doc, firstArgument(inst), target),
    scores: [],
    error: null,
    timings: { backendMs: Math.round(ms * 1000) / 1000, cached },
  };
  const chance = Array.isArray(inst.gold) && inst.choices ? inst.gold.length / Math.max(1, inst.choices.length) : 0;
  const failed = outs.find((o) => !o?.ok);
  if (failed) {
    const error = failed && !failed.ok ? failed.error : "request not run";
    const errorReason = failed && !failed.ok ? failed.reason : "internal";
    sample.error = error;
    sample.errorReason = errorReason;
    return { sample, scores: [], error, errorReason, chance };
  }
  const values = outs.map((o) => (o?.ok ? o.value : undefined));
  const scores: Score[] = [];
  const metrics = defaultMetrics(cfg);
  let rolling: ScoredSample["rolling"];
  const outputType = cfg.output_type ?? "generate_until";
  if (outputType === "multiple_choice") {
    const lls = values.map((v) => LlValue.parse(v));
    const lengths = inst.multiInput ? lls.map(() => 1) : (inst.choices ?? []).map((c) => c.length);
    const s = scoreChoices(
      lls.map((l) => l.logprob),
      inst.gold as number[],
      lengths,
    );
    const resps: Resp[] = lls.map((l) => [l.logprob, l.isGreedy]);
    sample.resps = resps;
    sample.filteredResps = { none: resps };
    sample.pred = s.pred;
    for (const m of metrics) {
      if (m.metric === "acc" || m.metric === "acc_norm" || m.metric === "mc1" || m.metric === "mc2")
        scores.push({ metric: m.metric, filter: "none", value: s[m.metric] });
    }
  } else if (outputType === "generate_until") {
    const g = GenValue.parse(values[0]);
    const pipelines = cfg.filter_list && cfg.filter_list.length > 0 ? cfg.filter_list : [NO_FILTER];
    for (const p of pipelines) {
      const ans = applyFilter(g.text, p);
      sample.filteredResps[p.name] = [ans];
      for (const m of metrics)
        if (m.metric === "exact_match")
          scores.push({ metric: "exact_match", filter: p.name, value: exactMatch(ans, String(inst.gold), m) });
    }
    sample.resps = [g.text];
    sample.finishReason = g.finishReason;
  } else if (outputType === "loglikelihood") {
    // lm-eval's `process_results`: the log-likelihood itself (perplexity aggregates exp(-mean)) and is_greedy.
    const l = LlValue.parse(values[0]);
    const resps: Resp[] = [[l.logprob, l.isGreedy]];
    sample.resps = resps;
    sample.filteredResps = { none: resps };
    for (const m of metrics) {
      if (m.metric === "perplexity") scores.push({ metric: "perplexity", filter: "none", value: l.logprob });
      if (m.metric === "acc") scores.push({ metric: "acc", filter: "none", value: l.isGreedy ? 1 : 0 });
    }
  } else {
    const r = RollValue.parse(values[0]);
    sample.resps = [[r.logprob, r.tokenCount]];
    sample.filteredResps = { none: [r.logprob] };
    rolling = { logprob: r.logprob, tokens: r.tokenCount, words: inst.words ?? 0 };
    sample.rolling = rolling;
  }
  sample.scores = scores;
  return { sample, scores, error: null, rolling, chance };
}
