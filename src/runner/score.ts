/**
 * Scores one document from its requests' outcomes and builds its sample record (prompt as sent, raw output,
 * extracted answers, target, scores, timings). A failed request makes the sample an error, never a crash.
 */
import { z } from "zod";
import { applyFilter, NO_FILTER } from "../tasks/filters.ts";
import type { DocInstance } from "../tasks/instance.ts";
import { exactMatch, scoreChoices } from "../tasks/metrics.ts";
import type { MetricSpec, TaskConfig } from "../tasks/schema.ts";
import type { RequestOutcome } from "./execute.ts";

const LlValue = z.object({ logprob: z.number(), isGreedy: z.boolean(), tokenCount: z.number() });
const GenValue = z.object({ text: z.string(), finishReason: z.string() });
const RollValue = z.object({ logprob: z.number(), tokenCount: z.number() });

export function defaultMetrics(cfg: TaskConfig): MetricSpec[] {
  if (cfg.metric_list && cfg.metric_list.length > 0) return cfg.metric_list;
  if (cfg.output_type === "multiple_choice") return [{ metric: "acc" }, { metric: "acc_norm" }];
  if (cfg.output_type === "generate_until") return [{ metric: "exact_match" }];
  return [{ metric: "word_perplexity" }];
}

export interface ScoredSample {
  scores: Record<string, number>;
  error: string | null;
  data: Record<string, unknown>;
  /** Chance of a correct random pick (multiple choice). */
  chance: number;
}

export function scoreDoc(
  cfg: TaskConfig,
  inst: DocInstance,
  keys: string[],
  outcomes: Map<string, RequestOutcome>,
  doc: Record<string, unknown>,
): ScoredSample {
  const outs = keys.map((k) => outcomes.get(k));
  const ms = outs.reduce((a, o) => a + (o?.ms ?? 0), 0);
  const cached = outs.every((o) => o?.ok === true && o.cached);
  const first = inst.requests[0];
  const prompt = first
    ? first.kind === "loglikelihood"
      ? first.context
      : first.kind === "generate"
        ? first.prompt
        : first.text
    : "";
  const target = Array.isArray(inst.gold)
    ? inst.multiInput
      ? inst.gold
      : inst.gold.map((g) => inst.choices?.[g] ?? g)
    : inst.gold;
  const data: Record<string, unknown> = {
    doc_id: inst.docId,
    doc,
    target,
    arguments: inst.requests,
    prompt,
    timings: { backend_ms: Math.round(ms * 1000) / 1000, cached },
  };
  const chance = Array.isArray(inst.gold) && inst.choices ? inst.gold.length / Math.max(1, inst.choices.length) : 0;
  const failed = outs.find((o) => !o?.ok);
  if (failed) {
    const error = failed && !failed.ok ? failed.error : "request not run";
    data.error = error;
    return { scores: {}, error, data, chance };
  }
  const values = outs.map((o) => (o?.ok ? o.value : undefined));
  const scores: Record<string, number> = {};
  const metrics = defaultMetrics(cfg);
  if (cfg.output_type === "multiple_choice") {
    const lls = values.map((v) => LlValue.parse(v));
    const lengths = inst.multiInput ? lls.map(() => 1) : (inst.choices ?? []).map((c) => c.length);
    const s = scoreChoices(
      lls.map((l) => l.logprob),
      inst.gold as number[],
      lengths,
    );
    data.resps = lls.map((l) => [l.logprob, l.isGreedy]);
    data.filtered_resps = data.resps;
    data.pred = s.pred;
    for (const m of metrics) {
      if (m.metric === "acc" || m.metric === "acc_norm" || m.metric === "mc1" || m.metric === "mc2")
        scores[`${m.metric},none`] = s[m.metric];
    }
  } else if (cfg.output_type === "generate_until") {
    const g = GenValue.parse(values[0]);
    const pipelines = cfg.filter_list && cfg.filter_list.length > 0 ? cfg.filter_list : [NO_FILTER];
    const filtered: Record<string, string> = {};
    for (const p of pipelines) {
      const ans = applyFilter(g.text, p);
      filtered[p.name] = ans;
      for (const m of metrics)
        if (m.metric === "exact_match") scores[`exact_match,${p.name}`] = exactMatch(ans, String(inst.gold), m);
    }
    data.resps = [g.text];
    data.filtered_resps = filtered;
    data.finish_reason = g.finishReason;
  } else {
    const r = RollValue.parse(values[0]);
    data.resps = [r.logprob, r.tokenCount];
    // Perplexities aggregate over sums, not per-document means: carry the parts.
    scores["_logprob"] = r.logprob;
    scores["_tokens"] = r.tokenCount;
    scores["_words"] = inst.words ?? 0;
  }
  for (const [k, v] of Object.entries(scores)) if (!k.startsWith("_")) data[k] = v;
  return { scores, error: null, data, chance };
}
