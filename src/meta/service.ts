import { ModelmapError } from "../core/errors.ts";
import { deriveSeed } from "../core/rng.ts";
import { kendallTauB, spearman } from "../stats/agreement.ts";
import { type BenchBenchSignal, benchbenchAgreement, type SubsetStrategy } from "../stats/benchbench.ts";
import {
  type AgreementWithCi,
  agreementWithCi,
  bootstrapCorrelation,
  type CorrelationInterval,
  pairRankBrier,
  type ScoreInterval,
  separability,
} from "../stats/meta-eval.ts";
import type { Store } from "../store/store.ts";
import { listSignals, pythonRng, resolveSignals, type SignalRef, signalValues } from "./signals.ts";

/**
 * Meta-evaluation: how well does each signal on the map reproduce a reference (A/B outcomes, Chatbot Arena, any
 * other signal), on the models both cover? Per reference category: rank correlations with bootstrap intervals
 * over models, Arena-Hard's separability, agreement with 95% CI and pair-rank Brier score, and BenchBench's
 * agreement test among the signals. Documented in docs/capability-map.md ("Which signal to trust").
 */

export type Verdict = "agrees" | "reversed" | "unclear" | "too few models";

export interface SignalRow {
  signal: string;
  source: string;
  metric: string;
  category: string;
  kind: string;
  /** Models the signal shares with the reference. */
  models: number;
  spearman: CorrelationInterval | null;
  kendall: CorrelationInterval | null;
  /** Share of the shared models' pairs the signal separates (95% intervals apart). */
  separability: number | null;
  agreement: AgreementWithCi | null;
  /** Pair-rank Brier score over the pairs the reference separates (lower is better; 0.25 = coin flip). */
  brier: number | null;
  benchbench: BenchBenchSignal | null;
  /** agrees: Kendall's interval above 0; reversed: below 0; unclear: it contains 0. */
  verdict: Verdict;
  /** Weight of this signal's evidence in the reference's category: max(0, Kendall tau); null when unmeasured. */
  weight: number | null;
  /** Seeds of the two bootstraps (Python's random.Random), so they can be redrawn independently. */
  seeds: { spearman: number; kendall: number };
}

export interface MetaBlock {
  reference: { signal: string; source: string; metric: string; category: string; models: number; separability: number };
  rows: SignalRow[];
  settings: MetaSettings;
  /** The inputs, for checking and plotting: models sorted by id; [estimate, lower, upper] or null per model. */
  values: {
    models: string[];
    reference: Array<[number, number, number]>;
    signals: Record<string, Array<[number, number, number] | null>>;
  };
}

export interface MetaSettings {
  seed: number;
  bootstrap: number;
  minModels: number;
  benchbench: { sizes: number[]; repetitions: number; strategies: SubsetStrategy[] };
}

export interface MetaReport {
  blocks: MetaBlock[];
}

export interface MetaOptions {
  /** Signals to evaluate (names as in `resolveSignals`); empty = every signal on the map but the reference. */
  signals: string[];
  reference: string;
  category?: string | undefined;
  seed?: number | undefined;
  bootstrap?: number | undefined;
  minModels?: number | undefined;
  /** Keep the report in the store for search's agreement weighting (default true). */
  save?: boolean | undefined;
}

/** BenchBench's subset seed: one Python random.Random per (strategy, size, repetition). */
export function benchbenchSeed(seed: number, strategy: SubsetStrategy, size: number, rep: number): number {
  return seed * 100000 + size * 100 + rep * 2 + (strategy === "adjacent" ? 1 : 0);
}

const triple = (v: ScoreInterval): [number, number, number] => [v.estimate, v.lower, v.upper];

export async function metaEvaluate(store: Store, opts: MetaOptions): Promise<MetaReport> {
  const all = await listSignals(store);
  let refs = resolveSignals(all, [opts.reference], "reference");
  if (opts.category !== undefined) {
    const c = opts.category.toLowerCase();
    refs = refs.filter((r) => r.category === c);
    if (refs.length === 0)
      throw new ModelmapError("usage", `reference '${opts.reference}' has nothing in category '${opts.category}'`, {
        hint: `its categories: ${[...new Set(resolveSignals(all, [opts.reference], "reference").map((r) => r.category))].join(", ")}`,
      });
  }
  const explicit = opts.signals.length > 0;
  const settings: MetaSettings = {
    seed: opts.seed ?? 42,
    bootstrap: opts.bootstrap ?? 1000,
    minModels: opts.minModels ?? 5,
    benchbench: { sizes: [5, 10, 20], repetitions: 10, strategies: ["random", "adjacent"] },
  };
  const chosen = explicit ? resolveSignals(all, opts.signals, "signal") : all;
  const blocks: MetaBlock[] = [];
  for (const ref of refs) {
    const signals = chosen.filter((s) => s.name !== ref.name);
    blocks.push(await evaluateBlock(store, ref, signals, settings, explicit));
  }
  if (opts.save ?? true) for (const b of blocks) await store.meta.put(b.reference.signal, b.reference.category, b);
  return { blocks };
}

async function evaluateBlock(
  store: Store,
  ref: SignalRef,
  candidates: SignalRef[],
  settings: MetaSettings,
  explicit: boolean,
): Promise<MetaBlock> {
  const refValues = await signalValues(store, ref);
  const models = [...refValues.keys()].sort();
  const all: Array<{ s: SignalRef; values: Map<string, ScoreInterval> }> = [];
  for (const s of candidates) all.push({ s, values: await signalValues(store, s) });
  const loaded = all
    // Without an explicit list, only signals that can be measured here (enough shared models) are reported.
    .filter((x) => explicit || models.filter((m) => x.values.has(m)).length >= settings.minModels);
  const matrix = loaded.map(({ values }) => Float64Array.from(models, (m) => values.get(m)?.estimate ?? Number.NaN));
  const bb = benchbenchAgreement(matrix, {
    sizes: settings.benchbench.sizes,
    repetitions: settings.benchbench.repetitions,
    strategies: settings.benchbench.strategies,
    minModels: Math.max(5, settings.minModels),
    rngFor: (strategy, size, rep) => pythonRng(benchbenchSeed(settings.seed, strategy, size, rep)),
  });
  const rows = loaded.map(({ s, values }, i) => {
    const shared = models.filter((m) => values.has(m));
    const sig = shared.map((m) => values.get(m) as ScoreInterval);
    const rv = shared.map((m) => refValues.get(m) as ScoreInterval);
    const seeds = {
      spearman: deriveSeed(settings.seed, `${s.name}:spearman`),
      kendall: deriveSeed(settings.seed, `${s.name}:kendall`),
    };
    const bench = bb[i] as BenchBenchSignal;
    const base = {
      signal: s.name,
      source: s.source,
      metric: s.metric,
      category: s.category,
      kind: s.kind,
      models: shared.length,
      seeds,
      benchbench: Number.isNaN(bench.meanTau) ? null : bench,
    };
    if (shared.length < settings.minModels) {
      return {
        ...base,
        spearman: null,
        kendall: null,
        separability: null,
        agreement: null,
        brier: null,
        verdict: "too few models" as const,
        weight: null,
      };
    }
    const x = sig.map((v) => v.estimate);
    const y = rv.map((v) => v.estimate);
    const sp = bootstrapCorrelation(x, y, spearman, settings.bootstrap, pythonRng(seeds.spearman));
    const kt = bootstrapCorrelation(x, y, kendallTauB, settings.bootstrap, pythonRng(seeds.kendall));
    const verdict: Verdict = kt.lower > 0 ? "agrees" : kt.upper < 0 ? "reversed" : "unclear";
    return {
      ...base,
      spearman: sp,
      kendall: kt,
      separability: separability(sig).share,
      agreement: agreementWithCi(sig, rv),
      brier: pairRankBrier(sig, rv).brier,
      verdict,
      weight: Number.isNaN(kt.estimate) ? null : Math.max(0, kt.estimate),
    };
  });
  return {
    reference: {
      signal: ref.name,
      source: ref.source,
      metric: ref.metric,
      category: ref.category,
      models: models.length,
      separability: separability(models.map((m) => refValues.get(m) as ScoreInterval)).share,
    },
    rows,
    settings,
    values: {
      models,
      reference: models.map((m) => triple(refValues.get(m) as ScoreInterval)),
      signals: Object.fromEntries(
        loaded.map(({ s, values }) => [
          s.name,
          models.map((m) => (values.has(m) ? triple(values.get(m) as ScoreInterval) : null)),
        ]),
      ),
    },
  };
}

/** The signals a meta-evaluation can use, for `modelmap meta --list`. */
export function availableSignals(store: Store): Promise<SignalRef[]> {
  return listSignals(store);
}

/** A kept meta-evaluation (the last `modelmap meta` per reference and category), as search uses it. */
export interface StoredMeta {
  reference: string;
  category: string;
  measuredAt: string;
  block: MetaBlock;
}

/** The kept meta-evaluations, by category then reference; `category` keeps one category's. */
export async function storedMetaReports(store: Store, category?: string): Promise<StoredMeta[]> {
  return (await store.meta.list())
    .filter((r) => category === undefined || r.category === category)
    .map((r) => ({
      reference: r.reference,
      category: r.category,
      measuredAt: r.createdAt,
      block: r.report as MetaBlock,
    }))
    .sort((a, b) =>
      a.category === b.category ? (a.reference < b.reference ? -1 : 1) : a.category < b.category ? -1 : 1,
    );
}
