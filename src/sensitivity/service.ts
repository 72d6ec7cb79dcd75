/**
 * Prompt-sensitivity reports: one task run through the harness (same cache, same resume) under named variants,
 * per model. Each variant's primary score with its standard error, the spread across variants, which variants
 * differ significantly from the first (paired over the same items: McNemar for 0/1 scores, else a paired
 * bootstrap), and across several models the rank stability (Kendall's tau between the rankings under each pair
 * of variants). Stored per model and task; `promptSpread` gives the map and card their "score ± spread" line.
 */
import type { Backend } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import { createRng } from "../core/rng.ts";
import { metricKey } from "../runner/lmeval-format.ts";
import { type ProgressSink, withLabel } from "../runner/progress.ts";
import { runEval } from "../runner/run-eval.ts";
import { kendallTau, spread } from "../stats/contamination.ts";
import { mcnemar, pairedBootstrap } from "../stats/paired.ts";
import { type MetricRef, scoreOf } from "../store/run-log.ts";
import type { Store } from "../store/store.ts";
import type { LoadedTask } from "../tasks/loader.ts";
import { parseVariant, variantTask } from "./variants.ts";

export const SENSITIVITY_REPORT_VERSION = 1;

export interface VariantResult {
  variant: string;
  runId?: string;
  metric?: string;
  score?: number;
  stderr?: number;
  n?: number;
  /** Against the first variant, over the items both scored. */
  vsBaseline?: { diff: number; pValue: number; method: "mcnemar" | "paired-bootstrap"; significant: boolean };
  /** Why the variant could not run (e.g. no chat template): data, not a crash. */
  error?: string;
}

export interface ModelSensitivity {
  version: number;
  model: string;
  task: string;
  variants: VariantResult[];
  spread: { min: number; max: number; sd: number; range: number };
}

export interface SensitivityReport {
  task: string;
  models: ModelSensitivity[];
  /** Kendall's tau between the model rankings under each pair of variants (two or more models). */
  rankStability: { pairs: Array<{ a: string; b: string; tau: number }>; meanTau: number } | null;
}

export interface SensitivityOptions {
  task: LoadedTask;
  dataDir: string;
  variants: string[];
  /** Named system prompts (presets, config system_prompts, and "default" where the model has one). */
  systemPrompts: Record<string, string>;
  seed?: number;
  limit?: number;
  numFewshot?: number;
  signal?: AbortSignal;
  alpha?: number;
  /** One phase per model and variant ("MODEL variant chat:on"). */
  progress?: ProgressSink;
}

async function itemScores(store: Store, runId: string, task: string, metric: MetricRef): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for await (const s of store.evals.iterateSamples(runId, task)) {
    const v = scoreOf(s, metric);
    if (s.error === null && typeof v === "number") out.set(s.docId, v);
  }
  return out;
}

async function oneModel(
  store: Store,
  model: { id: string; backend: Backend },
  o: SensitivityOptions,
): Promise<ModelSensitivity> {
  const alpha = o.alpha ?? 0.05;
  const results: VariantResult[] = [];
  let base: Map<number, number> | undefined;
  for (const name of o.variants) {
    try {
      // Parsed per model: "system:default" exists only for models that declare a default system prompt.
      const spec = parseVariant(name, o.systemPrompts);
      const task = variantTask(o.task, spec);
      const out = await runEval(store, model.backend, {
        modelId: model.id,
        tasks: [task],
        groups: [],
        dataDir: o.dataDir,
        prompt: {
          chatTemplate: false,
          fewshotAsMultiturn: false,
          seed: o.seed ?? 1234,
          ...(o.numFewshot !== undefined ? { numFewshot: o.numFewshot } : {}),
          ...spec.prompt,
        },
        ...(o.limit !== undefined ? { limit: o.limit } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.progress ? { progress: withLabel(o.progress, `${model.id} variant ${name}`) } : {}),
      });
      const r = out.log.results[task.name];
      const row = r?.primary
        ? r.metrics.find((m) => m.metric === r.primary?.metric && m.filter === r.primary.filter)
        : r?.metrics[0];
      if (!r || !row) throw new ModelmapError("input", `task '${task.name}' produced no metric`);
      const vr: VariantResult = {
        variant: name,
        runId: out.runId,
        metric: metricKey(row),
        score: row.value ?? Number.NaN,
        stderr: row.stderr ?? Number.NaN,
        n: r.n,
      };
      const items = await itemScores(store, out.runId, task.name, row);
      if (!base) base = items;
      else {
        const ids = [...items.keys()].filter((k) => base?.has(k));
        const a = ids.map((k) => items.get(k) as number);
        const b = ids.map((k) => base?.get(k) as number);
        const binary = [...a, ...b].every((x) => x === 0 || x === 1);
        const diff =
          a.reduce((s, x) => s + x, 0) / Math.max(1, a.length) - b.reduce((s, x) => s + x, 0) / Math.max(1, b.length);
        const pValue = binary ? mcnemar(a, b).pValue : pairedBootstrap(a, b, createRng(o.seed ?? 1234)).pValue;
        vr.vsBaseline = { diff, pValue, method: binary ? "mcnemar" : "paired-bootstrap", significant: pValue < alpha };
      }
      results.push(vr);
    } catch (e) {
      if (o.signal?.aborted) throw e;
      results.push({ variant: name, error: (e as Error).message });
    }
  }
  const scores = results.flatMap((r) => (r.score !== undefined && Number.isFinite(r.score) ? [r.score] : []));
  const s = spread(scores);
  const report: ModelSensitivity = {
    version: SENSITIVITY_REPORT_VERSION,
    model: model.id,
    task: o.task.name,
    variants: results,
    spread: { ...s, range: s.max - s.min },
  };
  await store.checks.put("sensitivity", model.id, o.task.name, report);
  return report;
}

/** Kendall's tau between model rankings for every pair of variants that all models completed. */
export function rankStability(models: ModelSensitivity[]): SensitivityReport["rankStability"] {
  if (models.length < 2) return null;
  const names = (models[0] as ModelSensitivity).variants.map((v) => v.variant);
  const ok = names.filter((n) =>
    models.every((m) => Number.isFinite(m.variants.find((v) => v.variant === n)?.score ?? Number.NaN)),
  );
  const vec = (n: string) => models.map((m) => m.variants.find((v) => v.variant === n)?.score as number);
  const pairs: Array<{ a: string; b: string; tau: number }> = [];
  for (let i = 0; i < ok.length; i++)
    for (let j = i + 1; j < ok.length; j++) {
      const a = ok[i] as string;
      const b = ok[j] as string;
      pairs.push({ a, b, tau: kendallTau(vec(a), vec(b)) });
    }
  const finite = pairs.filter((p) => Number.isFinite(p.tau));
  return { pairs, meanTau: finite.length ? finite.reduce((s, p) => s + p.tau, 0) / finite.length : Number.NaN };
}

export async function runSensitivity(
  store: Store,
  models: Array<{ id: string; backend: Backend; systemPrompts?: Record<string, string> }>,
  o: SensitivityOptions,
): Promise<SensitivityReport> {
  const out: ModelSensitivity[] = [];
  for (const m of models)
    out.push(await oneModel(store, m, { ...o, systemPrompts: { ...o.systemPrompts, ...(m.systemPrompts ?? {}) } }));
  return { task: o.task.name, models: out, rankStability: rankStability(out) };
}

/**
 * The hook for model cards and the map: per stored task, the first variant's score with the prompt spread
 * (max - min over variants) and how many variants differ significantly. Empty when no report is stored.
 */
export async function promptSpread(
  store: Store,
  modelId: string,
): Promise<
  Array<{
    task: string;
    score: number;
    spread: number;
    sd: number;
    variants: number;
    significant: number;
    text: string;
  }>
> {
  return (await store.checks.list("sensitivity", modelId)).map((rec) => {
    const r = rec.report as ModelSensitivity;
    const first = r.variants.find((v) => v.score !== undefined);
    const score = first?.score ?? Number.NaN;
    const sig = r.variants.filter((v) => v.vsBaseline?.significant).length;
    const done = r.variants.filter((v) => v.score !== undefined).length;
    return {
      task: rec.task,
      score,
      spread: r.spread.range,
      sd: r.spread.sd,
      variants: done,
      significant: sig,
      text: `${score.toFixed(3)}, with ${r.spread.range.toFixed(3)} prompt spread over ${done} variants`,
    };
  });
}
