import type { Rng } from "../core/rng.ts";
import { streamUniform } from "./binomial.ts";
import {
  designFromTable,
  fitPairwiseLogit,
  type PairTable,
  pinMean,
  scoreAndInformation,
  toRatings,
} from "./bradley-terry.ts";
import { checkExistence } from "./graph.ts";
import { choleskyInPlace, choleskySolveInPlace } from "./linalg.ts";
import { MultinomialSampler } from "./multinomial.ts";
import { type SamplerTables, samplerTables } from "./multinomial-tables.ts";
import { normalQuantile, percentileSorted } from "./special.ts";

/**
 * Bootstrap of Bradley-Terry ratings. Resampling N battles with replacement is the same as one
 * Multinomial(N, observed cell frequencies) draw over the outcome cells (pair x {i wins, j wins, tie}),
 * so a round costs O(pairs) instead of O(battles). Each round is refitted from the point estimate with
 * the point estimate's information matrix factored once (a chord / simplified-Newton iteration): resampled
 * data sit close to the original, so a handful of O(pairs + k^2) steps converge and no round pays for a
 * new k^3 factorization. Rounds that do not converge that way get a full Newton fit.
 */
export interface BootstrapOptions {
  rounds: number;
  rng: Rng;
  /** Same ridge as the point fit (0 for the plain MLE). */
  ridge?: number;
  /** Ridge used for a round whose resample has no finite MLE (e.g. a model that lost every resampled game). */
  fallbackRidge?: number;
  anchor?: { index: number; rating: number };
  mean?: number;
  /**
   * Convergence threshold, logits (default 1e-4, 0.017 rating points): a round stops when the last chord step, or
   * the error left as predicted from the contraction of its last two steps, is below it (see bootstrapRunner).
   */
  tol?: number;
}

export interface BootstrapResult {
  rounds: number;
  k: number;
  /** rounds x k ratings, row-major. */
  ratings: Float64Array;
  /** Rounds that needed a full Newton refit after the chord iteration stalled. */
  newtonRefits: number;
  /** Rounds that only converged with the fallback ridge (no finite MLE in that resample). */
  ridgeRefits: number;
  chordSteps: number;
}

/** What one bootstrap round range needs; plain data, so a worker thread can receive it. */
export interface BootstrapJob {
  table: PairTable;
  theta0: Float64Array;
  /** The base seed every round's own uniform stream is derived from (see `streamUniform`). */
  seed: number;
  ridge: number;
  fallbackRidge: number;
  anchor: { index: number; rating: number } | undefined;
  mean: number | undefined;
  tol: number;
  /** The set-up every range of rounds shares, computed once (`prepareBootstrap`) and sent to worker threads. */
  prepared?: BootstrapSetup;
}

/** The inverse information matrix at the point estimate (k x k, row-major) and the sampler's tables. */
export interface BootstrapSetup {
  hinv: Float64Array;
  sampler: SamplerTables;
}

export interface BootstrapPart {
  /** (to - from) x k ratings, row-major. */
  ratings: Float64Array;
  /** Chord (simplified Newton) steps taken over all rounds of the part. */
  chordSteps: number;
  newtonRefits: number;
  ridgeRefits: number;
}

/** The job for `opts`: draws the base seed from `opts.rng` (one draw, so the same seed gives the same job). */
export function bootstrapJob(t: PairTable, theta0: Float64Array, opts: BootstrapOptions): BootstrapJob {
  return {
    table: t,
    theta0,
    seed: opts.rng.int(4294967296),
    ridge: opts.ridge ?? 0,
    fallbackRidge: opts.fallbackRidge ?? DEFAULT_PRIOR_RIDGE,
    anchor: opts.anchor,
    mean: opts.mean,
    tol: opts.tol ?? 1e-4,
  };
}

export function bootstrapBradleyTerry(t: PairTable, theta0: Float64Array, opts: BootstrapOptions): BootstrapResult {
  const part = bootstrapRounds(bootstrapJob(t, theta0, opts), 0, opts.rounds);
  return { rounds: opts.rounds, k: t.k, ...part };
}

/**
 * Rounds `from` (inclusive) to `to` (exclusive) of the job. Round r draws only from its own stream, so any
 * split of the rounds over threads gives the same ratings as one pass.
 */
export function bootstrapRounds(
  job: BootstrapJob,
  from: number,
  to: number,
  onRound?: (round: number) => void,
): BootstrapPart {
  const k = job.table.k;
  const run = bootstrapRunner(job);
  const out = new Float64Array((to - from) * k);
  let newtonRefits = 0;
  let ridgeRefits = 0;
  let chordSteps = 0;
  for (let round = from; round < to; round++) {
    const info = run(round, out, (round - from) * k);
    chordSteps += info.chordSteps;
    if (info.newtonRefit) newtonRefits++;
    if (info.ridgeRefit) ridgeRefits++;
    onRound?.(round);
  }
  return { ratings: out, chordSteps, newtonRefits, ridgeRefits };
}

/** What one round took: chord steps, and whether it needed a Newton refit or the prior. */
export interface RoundInfo {
  chordSteps: number;
  newtonRefit: boolean;
  ridgeRefit: boolean;
}

/** The job with its shared set-up computed (once, on the calling thread, rather than again on every worker thread). */
export function prepareBootstrap(job: BootstrapJob): BootstrapJob {
  return job.prepared ? job : { ...job, prepared: bootstrapSetup(job) };
}

function bootstrapSetup(job: BootstrapJob): BootstrapSetup {
  const t = job.table;
  const k = t.k;
  const m = t.i.length;
  const h0 = new Float64Array(k * k);
  const g = new Float64Array(k);
  scoreAndInformation(designFromTable(t), job.theta0, job.ridge, g, h0);
  if (job.ridge === 0) pinMean(h0, k, k);
  if (!choleskyInPlace(h0, k)) throw new Error("bootstrap: information matrix is not positive definite");
  // The chord steps multiply by the inverse (contiguous rows) rather than run two triangular solves per step.
  const hinv = new Float64Array(k * k);
  const col = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    col.fill(0);
    col[a] = 1;
    choleskySolveInPlace(h0, k, col);
    hinv.set(col, a * k);
  }
  let total = 0;
  const probs = new Float64Array(3 * m);
  for (let r = 0; r < m; r++) {
    probs[3 * r] = t.winI[r] as number;
    probs[3 * r + 1] = t.winJ[r] as number;
    probs[3 * r + 2] = t.ties[r] as number;
    total += (t.winI[r] as number) + (t.winJ[r] as number) + (t.ties[r] as number);
  }
  return { hinv, sampler: samplerTables(probs, total) };
}

/**
 * The set-up every range of rounds shares (the inverse information matrix, the sampler's constants), done once;
 * the function it returns runs round `round` into `out` at `offset` (k ratings). Rounds are independent, so
 * threads can run them in any order and split.
 */
export function bootstrapRunner(job: BootstrapJob): (round: number, out: Float64Array, offset: number) => RoundInfo {
  const t = job.table;
  const theta0 = job.theta0;
  const k = t.k;
  const m = t.i.length;
  const { ridge, tol } = job;
  const { hinv, sampler: tables } = job.prepared ?? bootstrapSetup(job);
  const sampler = new MultinomialSampler([], tables.total, tables);
  const cells = new Float64Array(3 * m);
  const y = new Float64Array(m);
  const n = new Float64Array(m);
  const theta = new Float64Array(k);
  const step = new Float64Array(k);
  const next = new Float64Array(k);
  const pi = new Float64Array(k);
  const ti = t.i;
  const tj = t.j;

  return (round, out, offset) => {
    let chordSteps = 0;
    let newtonRefit = false;
    let ridgeRefit = false;
    sampler.sample(cells, streamUniform(job.seed, round));
    pairCounts(cells, n, y, m);
    theta.set(theta0);
    let converged = false;
    let prevStep = Number.POSITIVE_INFINITY;
    for (let it = 0; it < 60 && !converged; it++) {
      chordSteps++;
      score(theta, pi, n, y, ti, tj, step, k, m);
      if (ridge > 0) for (let a = 0; a < k; a++) step[a] = (step[a] as number) - ridge * (theta[a] as number);
      const maxStep = multiplyMatrix(hinv, step, next, k);
      for (let a = 0; a < k; a++) theta[a] = (theta[a] as number) + (next[a] as number);
      if (!Number.isFinite(maxStep) || maxStep > 50) break;
      // The chord iteration contracts geometrically, by rho ~ maxStep / prevStep per step, so the error left after
      // this step is about maxStep rho / (1 - rho). Stopping once that is below 0.3 tol (the factor because the
      // ratio of two steps is a noisy estimate of rho) takes 2.83 steps per round instead of 3.42 on the 2024 arena
      // counts, and the ratings stay within 0.016 rating points (9e-5 logits) of rounds converged to 1e-7 (300
      // rounds x 129 models; 0.002 with the old stop, the first step below tol).
      const rho = maxStep / prevStep;
      // Only in that linear regime (steps below 100 tol): a resample without a finite MLE also takes shrinking
      // steps as a strength drifts to -infinity, but with rho near 1 there.
      converged = maxStep < tol || (maxStep < 100 * tol && rho < 0.5 && (maxStep * rho) / (1 - rho) < 0.3 * tol);
      prevStep = maxStep;
    }
    if (!converged) {
      const design = { k, i: ti, j: tj, n, y };
      // A resample without a finite MLE (a model lost every resampled game) would send Newton to infinity
      // for its whole iteration budget: check first, it costs O(pairs).
      const exists = ridge > 0 || checkExistence(resampledTable(t, cells)).mleExists;
      let fit = exists ? fitPairwiseLogit(design, { init: theta0, ridge, tol }) : undefined;
      if (exists) newtonRefit = true;
      if (!fit?.converged) {
        ridgeRefit = true;
        fit = fitPairwiseLogit(design, { init: theta0, ridge: job.fallbackRidge, tol });
      }
      theta.set(fit!.params.subarray(0, k));
    }
    out.set(toRatings(theta, k, job.anchor, job.mean), offset);
    return { chordSteps, newtonRefit, ridgeRefit };
  };
}

/**
 * A round's resampled games and wins per pair from its outcome cells (a tie is half a win each). This and `score`
 * are functions of their own, not loops in the round's closure: V8 compiles a function with a long loop while in
 * that loop (on-stack replacement), and the closure, with its loops over the pairs inside, was compiled 2-3 times per
 * thread in its first rounds (7-23 ms of compiler time each, on two cores that the rounds keep busy); now it is
 * compiled once (5-7 ms).
 */
function pairCounts(cells: Float64Array, n: Float64Array, y: Float64Array, m: number): void {
  for (let r = 0; r < m; r++) {
    const ties = cells[3 * r + 2] as number;
    n[r] = (cells[3 * r] as number) + (cells[3 * r + 1] as number) + ties;
    y[r] = (cells[3 * r] as number) + ties / 2;
  }
}

/** The score (the log-likelihood's gradient, without the ridge) at `theta`, into `step`. */
function score(
  theta: Float64Array,
  pi: Float64Array,
  n: Float64Array,
  y: Float64Array,
  ti: Int32Array,
  tj: Int32Array,
  step: Float64Array,
  k: number,
  m: number,
): void {
  step.fill(0);
  // k exponentials per step instead of one per pair: P(a beats b) = pi_a / (pi_a + pi_b).
  for (let a = 0; a < k; a++) pi[a] = Math.exp(theta[a] as number);
  // A pair with no resampled games adds 0 - 0: no branch needed.
  for (let r = 0; r < m; r++) {
    const nr = n[r] as number;
    const a = ti[r] as number;
    const b = tj[r] as number;
    const pa = pi[a] as number;
    const resid = (y[r] as number) - (nr * pa) / (pa + (pi[b] as number));
    step[a] = (step[a] as number) + resid;
    step[b] = (step[b] as number) - resid;
  }
}

/**
 * out = h x (h a k x k matrix, row-major); returns max |out|. Two rows at a time with two partial sums each:
 * one running sum per row waits on the adder's latency at every term, which made this product a fifth of a
 * bootstrap round.
 */
export function multiplyMatrix(h: Float64Array, x: Float64Array, out: Float64Array, k: number): number {
  let max = 0;
  const even = k - (k % 2);
  let a = 0;
  for (; a + 1 < k; a += 2) {
    const r0 = a * k;
    const r1 = r0 + k;
    let s0 = 0;
    let t0 = 0;
    let s1 = 0;
    let t1 = 0;
    let b = 0;
    for (; b < even; b += 2) {
      const x0 = x[b] as number;
      const x1 = x[b + 1] as number;
      s0 += (h[r0 + b] as number) * x0;
      t0 += (h[r0 + b + 1] as number) * x1;
      s1 += (h[r1 + b] as number) * x0;
      t1 += (h[r1 + b + 1] as number) * x1;
    }
    if (b < k) {
      s0 += (h[r0 + b] as number) * (x[b] as number);
      s1 += (h[r1 + b] as number) * (x[b] as number);
    }
    const v0 = s0 + t0;
    const v1 = s1 + t1;
    out[a] = v0;
    out[a + 1] = v1;
    max = Math.max(max, Math.abs(v0), Math.abs(v1));
  }
  if (a < k) {
    const r0 = a * k;
    let s0 = 0;
    for (let b = 0; b < k; b++) s0 += (h[r0 + b] as number) * (x[b] as number);
    out[a] = s0;
    max = Math.max(max, Math.abs(s0));
  }
  return max;
}

function resampledTable(t: PairTable, cells: Float64Array): PairTable {
  const m = t.i.length;
  const out: PairTable = {
    k: t.k,
    i: t.i,
    j: t.j,
    winI: new Float64Array(m),
    winJ: new Float64Array(m),
    ties: new Float64Array(m),
  };
  for (let r = 0; r < m; r++) {
    out.winI[r] = cells[3 * r] as number;
    out.winJ[r] = cells[3 * r + 1] as number;
    out.ties[r] = cells[3 * r + 2] as number;
  }
  return out;
}

/**
 * The prior used when the MLE does not exist: a Gaussian on each strength with sd 2 logits (about 347
 * rating points), i.e. ridge 1/4. Weak against real data, strong enough to keep an undefeated model finite.
 */
export const DEFAULT_PRIOR_RIDGE = 0.25;

/**
 * Percentile intervals per model from bootstrap ratings: numpy's linear-interpolation percentiles, as
 * `percentileSorted` on each model's sorted column. Only the two tails are sorted: the values beyond mean -+ z sd
 * (z the normal quantile of 2.5 alpha, 1.53 at 95%: about 6% of the rounds each) hold the order statistics the
 * bounds read whenever each tail has enough of them, and then give the same numbers; a model whose tails are too
 * thin (a skewed or degenerate column, a NaN) is sorted whole. Sorting 129 columns of 1000 rounds whole took
 * 7-10 ms, after the rounds, on the calling thread alone.
 */
export function percentileIntervals(b: BootstrapResult, level: number): Array<{ lower: number; upper: number }> {
  const n = b.rounds;
  const k = b.k;
  const ratings = b.ratings;
  const col = new Float64Array(n);
  const low = new Float64Array(n);
  const high = new Float64Array(n);
  const alpha = (1 - level) / 2;
  // The ranks percentileSorted reads: lo and min(n - 1, lo + 1) for each bound.
  const posLower = (n - 1) * alpha;
  const posUpper = (n - 1) * (1 - alpha);
  const lo = Math.floor(posLower);
  const up = Math.floor(posUpper);
  const needLow = Math.min(n - 1, lo + 1) + 1;
  const needHigh = n - up;
  const z = normalQuantile(Math.min(0.5, 2.5 * alpha));
  const out: Array<{ lower: number; upper: number }> = [];
  for (let a = 0; a < k; a++) {
    let sum = 0;
    let squares = 0;
    for (let r = 0; r < n; r++) {
      const v = ratings[r * k + a] as number;
      col[r] = v;
      sum += v;
      squares += v * v;
    }
    const mean = sum / n;
    const sd = Math.sqrt(Math.max(0, squares / n - mean * mean));
    const below = mean + z * sd;
    const above = mean - z * sd;
    let nLow = 0;
    let nHigh = 0;
    for (let r = 0; r < n; r++) {
      const v = col[r] as number;
      if (v < below) low[nLow++] = v;
      else if (v > above) high[nHigh++] = v;
    }
    if (n >= 64 && nLow >= needLow && nHigh >= needHigh) {
      // Every value outside a tail lies between the two: the tail's sorted values are the column's, at rank r in
      // the low tail and at rank r - (n - nHigh) in the high one.
      const lowSorted = low.subarray(0, nLow).sort();
      const highSorted = high.subarray(0, nHigh).sort();
      const skip = n - nHigh;
      out.push({
        lower: interpolate(lowSorted, lo, Math.min(n - 1, lo + 1), posLower - lo),
        upper: interpolate(highSorted, up - skip, Math.min(n - 1, up + 1) - skip, posUpper - up),
      });
    } else {
      col.sort();
      out.push({ lower: percentileSorted(col, alpha), upper: percentileSorted(col, 1 - alpha) });
    }
  }
  return out;
}

/** percentileSorted's interpolation between two order statistics, written the same way (the same numbers). */
function interpolate(sorted: Float64Array, at: number, next: number, frac: number): number {
  return (sorted[at] as number) * (1 - frac) + (sorted[next] as number) * frac;
}
