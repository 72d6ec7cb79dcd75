/**
 * Streaming aggregation of scored samples into the run log's typed results: per task one row per metric and
 * filter (`{metric, filter, value, stderr}`), the random baseline and the normalized score (Open LLM Leaderboard
 * v2), failures grouped by reason; group aggregates as the mean over items and the mean over subtasks.
 */
import { ModelmapError } from "../core/errors.ts";
import { aggregateGroup, MeanAccumulator, normalizedScore } from "../stats/accuracy.ts";
import type { FailureCount, GroupResultV1, MetricRef, MetricValue, TaskResultV1 } from "../store/run-log.ts";
import { stderrFor } from "../tasks/aggregations.ts";
import type { GroupAggregate, LoadedTask } from "../tasks/loader.ts";
import { metricInfo } from "../tasks/metrics.ts";
import type { TaskConfig } from "../tasks/schema.ts";
import { failureCause } from "./failures.ts";
import { defaultMetrics, type ScoredForAccumulator, scoringOf } from "./score.ts";

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** A metric's `higher_is_better`: the task's own setting, else lm-eval's registered value. */
export function higherIsBetter(cfg: TaskConfig, metric: string): boolean | null {
  const own = cfg.metric_list?.find((m) => m.metric === metric)?.higher_is_better;
  return typeof own === "boolean" ? own : (metricInfo(metric)?.higherIsBetter ?? null);
}

/** The task's own version: lm-eval's `metadata.version`, else its default for YAML tasks. */
export function taskVersion(cfg: TaskConfig): string | number {
  const v = cfg.metadata?.version;
  return typeof v === "string" || typeof v === "number" ? v : "Yaml";
}

/** `primary_metric` as configured (`acc_norm` or `exact_match,flexible-extract`). */
function configuredPrimary(cfg: TaskConfig): MetricRef | undefined {
  const p = cfg.primary_metric;
  if (!p) return undefined;
  const comma = p.indexOf(",");
  return comma < 0 ? { metric: p, filter: "none" } : { metric: p.slice(0, comma), filter: p.slice(comma + 1) };
}

const refKey = (r: MetricRef) => `${r.metric}\u0000${r.filter}`;

/** By metric, then filter: the order lm-eval's keys sort in. */
function compareRefs(a: MetricRef, b: MetricRef): number {
  if (a.metric !== b.metric) return a.metric < b.metric ? -1 : 1;
  return a.filter < b.filter ? -1 : a.filter > b.filter ? 1 : 0;
}

/** lm-eval's default number of bootstrap resamples for the standard errors it bootstraps. */
export const DEFAULT_BOOTSTRAP_ITERS = 100000;

export class TaskAccumulator {
  /** Per metric and filter, every document's value (an aggregation may need them all: f1, bleu, IFEval's lists). */
  readonly metrics = new Map<string, { ref: MetricRef; items: unknown[] }>();
  readonly chance = new MeanAccumulator();
  readonly failures = new Map<string, FailureCount>();
  readonly #causeSize = new Map<string, number>();
  n = 0;
  errors = 0;
  lp = 0;
  tokens = 0;
  words = 0;

  constructor(
    readonly task: LoadedTask,
    readonly nShot: number,
    /** Resamples for bootstrapped standard errors (lm-eval's `--bootstrap_iters`; 0: none). */
    readonly bootstrapIters = DEFAULT_BOOTSTRAP_ITERS,
  ) {}

  get cfg(): TaskConfig {
    return this.task.config;
  }

  add(s: ScoredForAccumulator): void {
    if (s.error !== null) {
      this.errors++;
      // Counted by cause (runner/failures.ts: "prompt longer than the model's context (1501 > 96 tokens)"),
      // else by the error's code; the cause's label names the largest prompt of its group.
      const cause = failureCause(s.error, s.errorReason);
      const f = this.failures.get(cause.key);
      if (!f) this.failures.set(cause.key, { reason: cause.text, count: 1, first: s.error });
      else {
        f.count++;
        const size = this.#causeSize.get(cause.key) ?? 0;
        if ((cause.size ?? 0) > size) f.reason = cause.text;
      }
      if (cause.size !== undefined)
        this.#causeSize.set(cause.key, Math.max(cause.size, this.#causeSize.get(cause.key) ?? 0));
      return;
    }
    this.n++;
    this.chance.add(s.chance);
    if (s.rolling) {
      this.lp += s.rolling.logprob;
      this.tokens += s.rolling.tokens;
      this.words += s.rolling.words;
    }
    for (const it of s.items) {
      const k = refKey(it);
      let m = this.metrics.get(k);
      if (!m) {
        m = { ref: { metric: it.metric, filter: it.filter }, items: [] };
        this.metrics.set(k, m);
      }
      m.items.push(it.value);
    }
  }

  /** The metric the normalized score uses. */
  primary(): MetricRef | undefined {
    const configured = configuredPrimary(this.cfg);
    if (configured) return configured;
    const first = defaultMetrics(this.cfg)[0]?.metric;
    if (!first) return undefined;
    return [...this.metrics.values()].find((m) => m.ref.metric === first)?.ref;
  }

  /** Each metric aggregated as lm-eval aggregates it, with lm-eval's standard error (null where it prints N/A). */
  rows(): MetricValue[] {
    const rows: MetricValue[] = [...this.metrics.values()]
      .sort((a, b) => compareRefs(a.ref, b.ref))
      .map((m) => {
        const agg = scoringOf(this.task).aggregationOf(m.ref.metric);
        try {
          const value = agg.fn(m.items);
          const stderr =
            agg.stderrAs === null ? null : stderrFor(m.ref.metric, agg.stderrAs, m.items, this.bootstrapIters);
          return { ...m.ref, value: num(value), stderr: stderr === null ? null : num(stderr) };
        } catch (e) {
          if (!(e instanceof ModelmapError)) throw e;
          throw new ModelmapError(
            e.code,
            `task '${this.task.name}': metric '${m.ref.metric}' (filter ${m.ref.filter}) cannot be aggregated by ${agg.name}: ${e.message}`,
          );
        }
      });
    if (
      this.cfg.output_type === "loglikelihood_rolling" &&
      !this.metrics.has(refKey({ metric: "perplexity", filter: "none" }))
    )
      // modelmap's token-level perplexity (the backend counts the tokens): exp(-summed log-likelihood / tokens).
      rows.push({ metric: "perplexity", filter: "none", value: num(Math.exp(-this.lp / this.tokens)), stderr: null });
    return rows.sort(compareRefs);
  }

  result(nOriginal: number | null): TaskResultV1 {
    const metrics = this.rows();
    const baseline = this.cfg.random_baseline ?? (this.cfg.output_type === "multiple_choice" ? this.chance.mean : 0);
    const pk = this.primary();
    const pv = pk ? metrics.find((m) => m.metric === pk.metric && m.filter === pk.filter) : undefined;
    const scored = pk !== undefined && pv !== undefined && this.metrics.has(refKey(pk)) && Number.isFinite(baseline);
    return {
      alias: this.cfg.task_alias ?? this.task.name,
      version: taskVersion(this.cfg),
      hash: this.task.hash,
      nShot: this.nShot,
      nSamples: { original: nOriginal, effective: this.n + this.errors },
      metrics,
      higherIsBetter: Object.fromEntries(
        [...new Set(metrics.map((m) => m.metric))].map((m) => [m, higherIsBetter(this.cfg, m)]),
      ),
      n: this.n,
      nErrors: this.errors,
      failures: [...this.failures.values()].sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1)),
      randomBaseline: scored ? baseline : null,
      primary: scored ? pk : null,
      normalizedScore: scored ? num(normalizedScore(pv.value ?? Number.NaN, baseline)) : null,
      config: this.cfg as Record<string, unknown>,
    };
  }
}

/**
 * lm-eval's `pooled_sample_stderr`: the members' sample variances pooled by their sizes (no between-member term);
 * null where a member has none (lm-eval's "N/A").
 */
export function pooledSampleStderr(stderrs: Array<number | null>, sizes: number[]): number | null {
  if (stderrs.some((s) => s === null)) return null;
  let num0 = 0;
  let total = 0;
  stderrs.forEach((s, i) => {
    const n = sizes[i] as number;
    num0 += (n - 1) * (s as number) ** 2 * n;
    total += n;
  });
  const v = num0 / (total - sizes.length) / total;
  return Number.isFinite(v) && v >= 0 ? Math.sqrt(v) : null;
}

/** lm-eval's `aggregate_subtask_metrics`: the members' values weighted by size, or (weight_by_size false) not. */
export function aggregateSubtaskMetrics(values: number[], sizes: number[], weightBySize: boolean): number {
  const w = weightBySize ? sizes : sizes.map(() => 1);
  let s = 0;
  for (const [i, v] of values.entries()) s += v * (w[i] as number);
  return s / w.reduce((a, b) => a + b, 0);
}

/**
 * Group aggregates over member task results. With an `aggregate_metric_list`, exactly its metrics as lm-eval
 * reports them (`aggregate_subtask_metrics`, weighted by size or not, and the pooled standard error); without one,
 * every metric's mean over items with the pooled variance of all items. `macro` is always the plain mean over members.
 */
export function groupResult(
  name: string,
  members: Array<{ task: string; result: TaskResultV1 }>,
  aggregate?: GroupAggregate[],
): GroupResultV1 {
  const refs = new Map<string, MetricRef>();
  for (const { result } of members)
    for (const m of result.metrics) refs.set(refKey(m), { metric: m.metric, filter: m.filter });
  const ordered = [...refs.values()].sort(compareRefs);
  const metrics: MetricValue[] = [];
  const macro: MetricValue[] = [];
  for (const ref of ordered) {
    const subs = members.flatMap(({ result }) => {
      const m = result.metrics.find((x) => x.metric === ref.metric && x.filter === ref.filter);
      return m && m.value !== null ? [{ n: result.n, mean: m.value, stderr: m.stderr }] : [];
    });
    const g = aggregateGroup(subs.map((s) => ({ ...s, stderr: s.stderr ?? Number.NaN })));
    macro.push({ ...ref, value: num(g.subtaskMean), stderr: null });
    if (aggregate === undefined) {
      metrics.push({ ...ref, value: num(g.itemMean), stderr: num(g.itemStderr) });
      continue;
    }
    const spec = aggregate.find((a) => a.metric === ref.metric && a.filters.includes(ref.filter));
    if (!spec || subs.length === 0) continue;
    const sizes = subs.map((s) => s.n);
    const value = aggregateSubtaskMetrics(
      subs.map((s) => s.mean),
      sizes,
      spec.weightBySize,
    );
    const stderr = pooledSampleStderr(
      subs.map((s) => s.stderr),
      sizes,
    );
    metrics.push({ ...ref, value: num(value), stderr: stderr === null ? null : num(stderr) });
  }
  const norm = members.map((m) => m.result.normalizedScore).filter((x): x is number => x !== null);
  return {
    alias: name,
    tasks: members.map((m) => m.task),
    metrics,
    macro,
    n: members.reduce((a, m) => a + m.result.n, 0),
    nErrors: members.reduce((a, m) => a + m.result.nErrors, 0),
    normalizedScore:
      norm.length === members.length && norm.length > 0 ? norm.reduce((a, b) => a + b, 0) / norm.length : null,
  };
}
