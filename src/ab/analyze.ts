import { toPairTable } from "../arena/aggregate.ts";
import { type RankReport, rankCounts } from "../arena/rank.ts";
import type { PairCounts } from "../core/votes.ts";
import {
  diffMeans,
  diffProportions,
  diffRatios,
  type Effect,
  ratioEstimate,
  type SrmResult,
  sampleRatioMismatch,
} from "../stats/ab-effects.ts";
import { DEFAULT_PRIOR_RIDGE } from "../stats/bootstrap.ts";
import { penalizedRatingSe } from "../stats/bt-laplace.ts";
import { ranksFromIntervals, tiersFromIntervals } from "../stats/intervals.ts";
import type { AbExperiment, AbVariant } from "../store/ab.ts";

/** Below this p-value the assignment is broken (the usual threshold of experimentation platforms). */
export const SRM_ALPHA = 0.001;

const Z95 = 1.959964;

export interface VariantSummary {
  name: string;
  model: string;
  modelId: string;
  preset: string | null;
  units: number;
  plannedShare: number;
  /** The metric in this variant: a rate, a mean or a ratio. */
  value: number;
  se: number;
}

export interface PairEffect {
  /** Variant names; the effect is b - a. */
  a: string;
  b: string;
  modelA: string;
  modelB: string;
  effect: Effect;
  /** effect / value of a (NaN when a's value is 0). */
  relative: number;
  /** Which variant is better with 95% confidence, in the metric's direction; null = no detectable difference. */
  better: "a" | "b" | null;
}

export interface ModelOutcome {
  winner: string;
  loser: string;
  /** The experiment it comes from. */
  experiment: string;
}

export interface ExperimentAnalysis {
  id: string;
  category: string;
  metric: string;
  kind: AbExperiment["kind"];
  higherIsBetter: boolean;
  start: string;
  end: string;
  variants: VariantSummary[];
  /** Every pair of variants, the control (first variant) against each other first. */
  effects: PairEffect[];
  srm: SrmResult & { flagged: boolean };
  /** Decisive model-vs-model outcomes; none when the sample ratio is off (the effects cannot be trusted). */
  outcomes: ModelOutcome[];
  notes: string[];
}

function variantValue(e: AbExperiment, v: AbVariant): { value: number; se: number } {
  switch (e.kind) {
    case "proportion": {
      const p = (v.successes as number) / v.units;
      return { value: p, se: Math.sqrt((p * (1 - p)) / v.units) };
    }
    case "mean":
      return { value: v.mean as number, se: (v.sd as number) / Math.sqrt(v.units) };
    case "ratio": {
      const r = ratioEstimate(ratioArm(v));
      return { value: r.ratio, se: Math.sqrt(r.variance) };
    }
  }
}

function ratioArm(v: AbVariant) {
  return {
    units: v.units,
    numeratorMean: v.numeratorMean as number,
    denominatorMean: v.denominatorMean as number,
    numeratorSd: v.numeratorSd as number,
    denominatorSd: v.denominatorSd as number,
    covariance: v.covariance as number,
  };
}

function pairEffect(e: AbExperiment, a: AbVariant, b: AbVariant): Effect {
  switch (e.kind) {
    case "proportion":
      return diffProportions(
        { units: a.units, successes: a.successes as number },
        { units: b.units, successes: b.successes as number },
      );
    case "mean":
      return diffMeans(
        { units: a.units, mean: a.mean as number, sd: a.sd as number },
        { units: b.units, mean: b.mean as number, sd: b.sd as number },
      );
    case "ratio":
      return diffRatios(ratioArm(a), ratioArm(b));
  }
}

/** Effects, sample-ratio check and the model outcomes one experiment implies. */
export function analyzeExperiment(e: AbExperiment): ExperimentAnalysis {
  const k = e.variants.length;
  const planned = e.variants.map((v) => v.plannedShare ?? 1);
  const share = planned.reduce((s, x) => s + x, 0);
  const variants: VariantSummary[] = e.variants.map((v, i) => ({
    name: v.name,
    model: v.model,
    modelId: v.modelId,
    preset: v.preset ?? null,
    units: v.units,
    plannedShare: (planned[i] as number) / share,
    ...variantValue(e, v),
  }));
  const srmRaw = sampleRatioMismatch(
    e.variants.map((v) => v.units),
    planned,
  );
  const srm = { ...srmRaw, flagged: srmRaw.p < SRM_ALPHA };
  const effects: PairEffect[] = [];
  const notes: string[] = [];
  // One outcome per model pair and experiment: two presets of one model against the same control share that
  // control's units, so they are one piece of evidence, and presets that disagree make it none.
  const directions = new Map<string, { winner: string; loser: string; conflict: boolean }>();
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      const a = e.variants[i] as AbVariant;
      const b = e.variants[j] as AbVariant;
      const effect = pairEffect(e, a, b);
      const va = (variants[i] as VariantSummary).value;
      const decisive = effect.lower > 0 || effect.upper < 0;
      const bUp = effect.lower > 0;
      const better = decisive ? (bUp === e.higherIsBetter ? "b" : "a") : null;
      effects.push({
        a: a.name,
        b: b.name,
        modelA: a.modelId,
        modelB: b.modelId,
        effect,
        relative: effect.estimate / va,
        better,
      });
      if (!better) continue;
      if (a.modelId === b.modelId) {
        notes.push(`${a.name} vs ${b.name}: same model (${a.modelId}), a preset comparison; no model outcome`);
        continue;
      }
      const [w, l] = better === "a" ? [a.modelId, b.modelId] : [b.modelId, a.modelId];
      const key = [w, l].sort().join("\u0000");
      const seen = directions.get(key);
      if (!seen) directions.set(key, { winner: w, loser: l, conflict: false });
      else if (seen.winner !== w) seen.conflict = true;
    }
  }
  const outcomes: ModelOutcome[] = [];
  for (const d of directions.values()) {
    if (d.conflict) notes.push(`${d.winner} vs ${d.loser}: presets disagree on the order; no model outcome`);
    else if (!srm.flagged) outcomes.push({ winner: d.winner, loser: d.loser, experiment: e.id });
  }
  if (srm.flagged)
    notes.unshift(
      `sample-ratio mismatch: units ${e.variants.map((v) => v.units).join(" / ")} against a planned ${variants
        .map((v) => `${(100 * v.plannedShare).toFixed(1)}%`)
        .join(
          " / ",
        )} split (chi-square ${srm.chi2.toFixed(1)}, p = ${srm.p.toExponential(2)} < ${SRM_ALPHA}); its effects are not used for the ordering`,
    );
  return {
    id: e.id,
    category: e.category,
    metric: e.metric,
    kind: e.kind,
    higherIsBetter: e.higherIsBetter,
    start: e.start,
    end: e.end,
    variants,
    effects,
    srm,
    outcomes,
    notes,
  };
}

export interface CategoryOrdering {
  category: string;
  experiments: number;
  /** Experiments left out for a sample-ratio mismatch. */
  srmExcluded: number;
  /** Decisive model outcomes used. */
  outcomes: number;
  /** Bradley-Terry ratings (400-point scale, mean 1000) with bootstrap 95% intervals; null with fewer than two models. */
  ranking: RankReport | null;
}

/**
 * A Bradley-Terry ordering of models per category from the decisive outcomes: each decisive experiment pair is
 * one win, resampled by the ratings engine's seeded bootstrap (so an interval reflects how many experiments
 * back an order). Experiments with a sample-ratio mismatch and pairs without a detectable difference add
 * nothing.
 */
export function orderingsByCategory(
  analyses: ExperimentAnalysis[],
  opts: { bootstrap?: number; seed?: number } = {},
): CategoryOrdering[] {
  const byCat = new Map<string, ExperimentAnalysis[]>();
  for (const a of analyses) {
    const list = byCat.get(a.category);
    if (list) list.push(a);
    else byCat.set(a.category, [a]);
  }
  return [...byCat.keys()].sort().map((category) => {
    const list = byCat.get(category) as ExperimentAnalysis[];
    const outcomes = list.flatMap((a) => a.outcomes);
    const counts = pairCounts(outcomes);
    const ranking =
      counts.models.length >= 2
        ? widenWithoutMle(counts, rankCounts(counts, { bootstrap: opts.bootstrap ?? 1000, seed: opts.seed ?? 42 }))
        : null;
    return {
      category,
      experiments: list.length,
      srmExcluded: list.filter((a) => a.srm.flagged).length,
      outcomes: outcomes.length,
      ranking,
    };
  });
}

/**
 * Without a finite MLE (few outcomes, all one way) the ratings come from the prior-penalized fit, and bootstrap
 * resamples of those few outcomes repeat them, so the percentile interval collapses. The interval is widened to
 * at least the penalized fit's normal approximation, and ranks and tiers are recomputed from it.
 */
function widenWithoutMle(counts: PairCounts, r: RankReport): RankReport {
  if (r.graph.mle_exists) return r;
  const idx = new Map(counts.models.map((m, i) => [m, i]));
  const ratings = new Float64Array(counts.models.length);
  for (const m of r.models) ratings[idx.get(m.model) as number] = m.rating;
  const se = penalizedRatingSe(toPairTable(counts), ratings, DEFAULT_PRIOR_RIDGE);
  for (const m of r.models) {
    const s = se[idx.get(m.model) as number] as number;
    m.ci_lower = Math.min(m.ci_lower, m.rating - Z95 * s);
    m.ci_upper = Math.max(m.ci_upper, m.rating + Z95 * s);
  }
  const items = r.models.map((m) => ({ estimate: m.rating, lower: m.ci_lower, upper: m.ci_upper }));
  const ranks = ranksFromIntervals(items);
  const tiers = tiersFromIntervals(items);
  r.models.forEach((m, i) => {
    m.rank = ranks[i] as number;
    m.tier = tiers[i] as number;
  });
  r.warnings.push(
    "intervals widened to the prior-penalized fit's normal approximation: resampling a few one-sided outcomes cannot show their uncertainty.",
  );
  return r;
}

function pairCounts(outcomes: ModelOutcome[]): PairCounts {
  const models = [...new Set(outcomes.flatMap((o) => [o.winner, o.loser]))].sort();
  const idx = new Map(models.map((m, i) => [m, i]));
  const cells = new Map<
    string,
    { i: number; j: number; winsI: number; winsJ: number; ties: number; tiesBothbad: number }
  >();
  for (const o of outcomes) {
    const w = idx.get(o.winner) as number;
    const l = idx.get(o.loser) as number;
    const [i, j] = w < l ? [w, l] : [l, w];
    const key = `${i},${j}`;
    const c = cells.get(key) ?? { i, j, winsI: 0, winsJ: 0, ties: 0, tiesBothbad: 0 };
    if (w === i) c.winsI++;
    else c.winsJ++;
    cells.set(key, c);
  }
  return { models, pairs: [...cells.values()] };
}
