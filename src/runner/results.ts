/**
 * Streaming aggregation into lm-evaluation-harness's result layout: per task `METRIC,FILTER`,
 * `METRIC_stderr,FILTER`, `n`; the random baseline and the normalized score (Open LLM Leaderboard v2); group
 * aggregates as the mean over items and the mean over subtasks.
 */
import { aggregateGroup, MeanAccumulator, normalizedScore } from "../stats/accuracy.ts";
import type { TaskConfig } from "../tasks/schema.ts";
import { defaultMetrics } from "./score.ts";

export type TaskResult = Record<string, number | string | null>;

export class TaskAccumulator {
  readonly metrics = new Map<string, MeanAccumulator>();
  readonly chance = new MeanAccumulator();
  n = 0;
  errors = 0;
  lp = 0;
  tokens = 0;
  words = 0;

  constructor(readonly cfg: TaskConfig) {}

  add(scores: Record<string, number>, error: string | null, chance: number): void {
    if (error !== null) {
      this.errors++;
      return;
    }
    this.n++;
    this.chance.add(chance);
    for (const [k, v] of Object.entries(scores)) {
      if (k === "_logprob") this.lp += v;
      else if (k === "_tokens") this.tokens += v;
      else if (k === "_words") this.words += v;
      else {
        let acc = this.metrics.get(k);
        if (!acc) {
          acc = new MeanAccumulator();
          this.metrics.set(k, acc);
        }
        acc.add(v);
      }
    }
  }

  /** The key the normalized score uses. */
  primaryKey(): string | undefined {
    const p = this.cfg.primary_metric;
    if (p) return p.includes(",") ? p : `${p},none`;
    const first = defaultMetrics(this.cfg)[0]?.metric;
    if (!first) return undefined;
    return [...this.metrics.keys()].find((k) => k.split(",")[0] === first);
  }

  result(): TaskResult {
    const out: TaskResult = {};
    const num = (x: number) => (Number.isFinite(x) ? x : null);
    for (const [k, acc] of [...this.metrics.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const [m, f] = k.split(",");
      out[k] = num(acc.mean);
      out[`${m}_stderr,${f}`] = num(acc.stderr);
    }
    if (this.cfg.output_type === "loglikelihood_rolling") {
      out["perplexity,none"] = num(Math.exp(-this.lp / this.tokens));
      out["word_perplexity,none"] = num(Math.exp(-this.lp / this.words));
    }
    out.n = this.n;
    out.n_errors = this.errors;
    const baseline = this.cfg.random_baseline ?? (this.cfg.output_type === "multiple_choice" ? this.chance.mean : 0);
    const pk = this.primaryKey();
    if (pk && this.metrics.has(pk) && Number.isFinite(baseline)) {
      out.random_baseline = baseline;
      out.primary_metric = pk;
      out.normalized_score = num(normalizedScore(this.metrics.get(pk)?.mean ?? Number.NaN, baseline));
    }
    return out;
  }
}

/** Group aggregates over member task results: `M,F` = mean over items (size-weighted), `M_macro,F` = over subtasks. */
export function groupResult(members: TaskResult[]): TaskResult {
  const keys = new Set<string>();
  for (const r of members) for (const k of Object.keys(r)) if (k.includes(",") && !k.includes("_stderr,")) keys.add(k);
  const out: TaskResult = {};
  for (const k of [...keys].sort()) {
    const [m, f] = k.split(",");
    const subs = members
      .filter((r) => typeof r[k] === "number")
      .map((r) => ({
        n: Number(r.n),
        mean: r[k] as number,
        stderr: typeof r[`${m}_stderr,${f}`] === "number" ? (r[`${m}_stderr,${f}`] as number) : Number.NaN,
      }));
    const g = aggregateGroup(subs);
    const num = (x: number) => (Number.isFinite(x) ? x : null);
    out[k] = num(g.itemMean);
    out[`${m}_stderr,${f}`] = num(g.itemStderr);
    out[`${m}_macro,${f}`] = num(g.subtaskMean);
  }
  out.n = members.reduce((a, r) => a + Number(r.n), 0);
  out.n_errors = members.reduce((a, r) => a + Number(r.n_errors ?? 0), 0);
  out.n_subtasks = members.length;
  const norm = members.map((r) => r.normalized_score).filter((x): x is number => typeof x === "number");
  if (norm.length === members.length && norm.length > 0)
    out.normalized_score = norm.reduce((a, b) => a + b, 0) / norm.length;
  return out;
}
