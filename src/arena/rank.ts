import { ModelmapError } from "../core/errors.ts";
import { createRng } from "../core/rng.ts";
import type { PairCounts, Vote } from "../core/votes.ts";
import { bootstrapJob, DEFAULT_PRIOR_RIDGE, percentileIntervals } from "../stats/bootstrap.ts";
import { fitBradleyTerry, RATING_SCALE, toRatings, winProbability } from "../stats/bradley-terry.ts";
import { onlineElo } from "../stats/elo.ts";
import { checkExistence } from "../stats/graph.ts";
import { ranksFromIntervals, tiersFromIntervals } from "../stats/intervals.ts";
import { modelTotals, toPairTable } from "./aggregate.ts";
import { bootstrapParallel, bootstrapThreads, prestartBootstrapWorker } from "./bootstrap-threads.ts";

/** The rating service behind `modelmap rank` and the server's leaderboard routes. */
export type RankMethod = "bt" | "elo";
export type MatrixKind = "winrate" | "predicted" | "battles";

export interface RankOptions {
  method?: RankMethod;
  anchor?: { model: string; rating: number };
  /** Bootstrap rounds (0 = no intervals). Default 1000. */
  bootstrap?: number;
  seed?: number;
  /** Interval level, default 0.95. */
  ci?: number;
  matrix?: MatrixKind;
  /** Threads for the bootstrap (default: by job size, see `bootstrapThreads`); the result does not depend on it. */
  threads?: number;
}

export interface RankedModel {
  model: string;
  rating: number;
  ci_lower: number;
  ci_upper: number;
  rank: number;
  tier: number;
  battles: number;
  wins: number;
  losses: number;
  ties: number;
}

export interface RankReport {
  method: RankMethod;
  models: RankedModel[];
  anchor: { model: string; rating: number } | null;
  bootstrap: { rounds: number; seed: number; ci: number; newton_refits: number; prior_refits: number };
  fit: { converged: boolean; iterations: number; max_gradient: number } | null;
  graph: {
    connected: boolean;
    components: string[][];
    mle_exists: boolean;
    undefeated: string[];
    winless: string[];
    /** What was done when the MLE does not exist; null when nothing had to be. */
    remedy: string | null;
  };
  totals: { battles: number; ties: number; ties_bothbad: number; pairs: number; models: number };
  warnings: string[];
  matrix?: { kind: MatrixKind; models: string[]; values: Array<Array<number | null>> };
}

export function rankCounts(counts: PairCounts, opts: RankOptions = {}, votes?: Vote[]): RankReport {
  const method = opts.method ?? "bt";
  const rounds = opts.bootstrap ?? 1000;
  const seed = opts.seed ?? 42;
  const ci = opts.ci ?? 0.95;
  const k = counts.models.length;
  if (k < 2) throw new ModelmapError("input", `need at least two models to rank, got ${k}`);
  const threads = opts.threads ?? bootstrapThreads(rounds, counts.pairs.length);
  // A bootstrap on threads: the worker's start-up (50-80 ms on a 2-core machine) overlaps the point fit. Started
  // before anything else here: started at the fit (after the table, the existence check and the totals, 10 ms
  // later), it arrived 10-20 ms after its share was posted.
  if (method === "bt" && rounds > 0 && threads > 1) prestartBootstrapWorker();
  const idx = new Map(counts.models.map((m, i) => [m, i]));
  let anchor: { index: number; rating: number } | undefined;
  if (opts.anchor) {
    const a = idx.get(opts.anchor.model);
    if (a === undefined) {
      throw new ModelmapError("usage", `--anchor: model '${opts.anchor.model}' is not in the votes`, {
        hint: `models: ${counts.models.slice(0, 10).join(", ")}${k > 10 ? ", ..." : ""}`,
      });
    }
    anchor = { index: a, rating: opts.anchor.rating };
  }
  const table = toPairTable(counts);
  const existence = checkExistence(table);
  const name = (xs: number[]) => xs.map((x) => counts.models[x]!);
  const warnings: string[] = [];
  const connected = existence.components.length === 1;
  let remedy: string | null = null;
  let ridge = 0;
  if (!existence.mleExists) {
    ridge = DEFAULT_PRIOR_RIDGE;
    const why: string[] = [];
    if (!connected) why.push(`the comparison graph has ${existence.components.length} disconnected parts`);
    if (existence.undefeated.length) why.push(`never lost a game: ${name(existence.undefeated).join(", ")}`);
    if (existence.winless.length) why.push(`never won or tied a game: ${name(existence.winless).join(", ")}`);
    if (why.length === 0) why.push("some group of models won every game against the rest");
    remedy = `added a Gaussian prior (sd ${(1 / Math.sqrt(ridge)).toFixed(1)} logits = ${Math.round(RATING_SCALE / Math.sqrt(ridge))} rating points) on every model's strength`;
    warnings.push(`the Bradley-Terry MLE does not exist (${why.join("; ")}); ${remedy}.`);
    if (!connected)
      warnings.push(
        "ratings in different parts of the comparison graph are not comparable; only the prior relates them.",
      );
  }
  const totals = modelTotals(counts);
  let ratings: Float64Array;
  let fitInfo: RankReport["fit"] = null;
  let intervals: Array<{ lower: number; upper: number }>;
  let newtonRefits = 0;
  let priorRefits = 0;
  if (method === "bt") {
    const fit = fitBradleyTerry(table, { ridge });
    fitInfo = { converged: fit.converged, iterations: fit.iterations, max_gradient: fit.maxGradient };
    if (!fit.converged)
      warnings.push(
        `Bradley-Terry fit did not converge in ${fit.iterations} iterations (largest score ${fit.maxGradient.toExponential(2)}).`,
      );
    const theta = fit.params.subarray(0, k);
    ratings = toRatings(theta, k, anchor);
    if (rounds > 0) {
      const job = bootstrapJob(table, Float64Array.from(theta), {
        rounds,
        rng: createRng(seed),
        ridge,
        ...(anchor ? { anchor } : {}),
      });
      const boot = { rounds, k, ...bootstrapParallel(job, rounds, threads) };
      newtonRefits = boot.newtonRefits;
      priorRefits = boot.ridgeRefits;
      if (priorRefits > 0)
        warnings.push(
          `${priorRefits} of ${rounds} bootstrap resamples had no finite MLE and were fitted with the prior.`,
        );
      intervals = percentileIntervals(boot, ci);
    } else {
      intervals = Array.from(ratings, (r) => ({ lower: r, upper: r }));
    }
  } else {
    if (!votes) {
      throw new ModelmapError("usage", "--method elo needs battle rows in their order; aggregated counts have none", {
        hint: "use --method bt for count files",
      });
    }
    ({ ratings, intervals } = eloWithBootstrap(votes, idx, k, rounds, seed, ci, anchor));
  }
  const items = counts.models.map((_, a) => ({
    estimate: ratings[a] as number,
    lower: intervals[a]!.lower,
    upper: intervals[a]!.upper,
  }));
  const ranks = ranksFromIntervals(items);
  const tiers = tiersFromIntervals(items);
  const models: RankedModel[] = counts.models.map((model, a) => ({
    model,
    rating: ratings[a] as number,
    ci_lower: items[a]!.lower,
    ci_upper: items[a]!.upper,
    rank: ranks[a]!,
    tier: tiers[a]!,
    ...totals[a]!,
  }));
  models.sort((x, y) => y.rating - x.rating || x.model.localeCompare(y.model));
  let battles = 0;
  let ties = 0;
  let bothbad = 0;
  for (const p of counts.pairs) {
    battles += p.winsI + p.winsJ + p.ties + p.tiesBothbad;
    ties += p.ties;
    bothbad += p.tiesBothbad;
  }
  const report: RankReport = {
    method,
    models,
    anchor: opts.anchor ?? null,
    bootstrap: { rounds, seed, ci, newton_refits: newtonRefits, prior_refits: priorRefits },
    fit: fitInfo,
    graph: {
      connected,
      components: existence.components.map(name),
      mle_exists: existence.mleExists,
      undefeated: name(existence.undefeated),
      winless: name(existence.winless),
      remedy,
    },
    totals: { battles, ties, ties_bothbad: bothbad, pairs: counts.pairs.length, models: k },
    warnings,
  };
  if (opts.matrix) report.matrix = buildMatrix(opts.matrix, counts, ratings, models);
  return report;
}

function eloWithBootstrap(
  votes: Vote[],
  idx: Map<string, number>,
  k: number,
  rounds: number,
  seed: number,
  ci: number,
  anchor: { index: number; rating: number } | undefined,
): { ratings: Float64Array; intervals: Array<{ lower: number; upper: number }> } {
  const n = votes.length;
  const a = new Int32Array(n);
  const b = new Int32Array(n);
  const s = new Float64Array(n);
  votes.forEach((v, r) => {
    a[r] = idx.get(v.modelA)!;
    b[r] = idx.get(v.modelB)!;
    s[r] = v.winner === "model_a" ? 1 : v.winner === "model_b" ? 0 : 0.5;
  });
  const shift = (r: Float64Array) => {
    if (anchor) {
      const off = anchor.rating - (r[anchor.index] as number);
      for (let x = 0; x < k; x++) r[x] = (r[x] as number) + off;
    }
    return r;
  };
  const ratings = shift(onlineElo(k, a, b, s));
  if (rounds === 0) return { ratings, intervals: Array.from(ratings, (r) => ({ lower: r, upper: r })) };
  // As the arena did: resample battle rows with replacement and replay them in the sampled order.
  const rng = createRng(seed);
  const order = new Int32Array(n);
  const all = new Float64Array(rounds * k);
  for (let round = 0; round < rounds; round++) {
    for (let r = 0; r < n; r++) order[r] = rng.int(n);
    all.set(shift(onlineElo(k, a, b, s, {}, order)), round * k);
  }
  const boot = { rounds, k, ratings: all, newtonRefits: 0, ridgeRefits: 0, chordSteps: 0 };
  return { ratings, intervals: percentileIntervals(boot, ci) };
}

function buildMatrix(
  kind: MatrixKind,
  counts: PairCounts,
  ratings: Float64Array,
  ordered: RankedModel[],
): NonNullable<RankReport["matrix"]> {
  const k = counts.models.length;
  const idx = new Map(counts.models.map((m, i) => [m, i]));
  const n = new Float64Array(k * k);
  const score = new Float64Array(k * k);
  for (const p of counts.pairs) {
    const t = p.ties + p.tiesBothbad;
    const tot = p.winsI + p.winsJ + t;
    n[p.i * k + p.j] = (n[p.i * k + p.j] as number) + tot;
    n[p.j * k + p.i] = (n[p.j * k + p.i] as number) + tot;
    score[p.i * k + p.j] = (score[p.i * k + p.j] as number) + p.winsI + t / 2;
    score[p.j * k + p.i] = (score[p.j * k + p.i] as number) + p.winsJ + t / 2;
  }
  const order = ordered.map((m) => idx.get(m.model)!);
  const values = order.map((a) =>
    order.map((b) => {
      if (a === b) return null;
      const games = n[a * k + b] as number;
      if (kind === "battles") return games;
      if (kind === "predicted") return winProbability(ratings[a] as number, ratings[b] as number);
      return games > 0 ? (score[a * k + b] as number) / games : null;
    }),
  );
  return { kind, models: ordered.map((m) => m.model), values };
}
