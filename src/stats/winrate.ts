import type { Rng } from "../core/rng.ts";
import { choleskyInPlace, choleskySolveInPlace } from "./linalg.ts";

/**
 * Win rate against a baseline as AlpacaEval 2.0 defines it. A preference is in [1, 2]: 1 = the baseline
 * wins, 2 = the model wins, 1.5 (or the legacy 0) = a draw, anything between = a judge's probability.
 * - win rate: mean of (preference - 1), x100, with the standard error of the mean (n - 1 in the variance);
 * - discrete win rate: each preference rounded to win / loss (1.5 a draw counting half);
 * - length-controlled win rate: a logistic GLM of the preference on the model term and
 *   tanh(standardized length difference) (+ an instruction-difficulty term when one is given), predicted at
 *   zero length difference and averaged over instructions (Dubois et al. 2024).
 */
export interface WinRate {
  winRate: number;
  standardError: number;
  discreteWinRate: number;
  nWins: number;
  nWinsBase: number;
  nDraws: number;
  nTotal: number;
  /** Preferences that were missing or outside [1, 2] and were dropped. */
  nDropped: number;
}

function validPreference(p: number): number | undefined {
  if (!Number.isFinite(p)) return undefined;
  const q = p === 0 ? 1.5 : p;
  return q >= 1 && q <= 2 ? q : undefined;
}

export function alpacaWinRate(preferences: ArrayLike<number>): WinRate {
  const xs: number[] = [];
  let dropped = 0;
  let nDraws = 0;
  let nWins = 0;
  let nWinsBase = 0;
  let discreteSum = 0;
  for (let i = 0; i < preferences.length; i++) {
    const q = validPreference(preferences[i] as number);
    if (q === undefined) {
      dropped++;
      continue;
    }
    xs.push(q - 1);
    if (q === 1.5) {
      nDraws++;
      discreteSum += 0.5;
    } else {
      // Round half to even, as pandas does; only exact halves other than 1.5 could differ and cannot occur in [1, 2].
      const r = Math.round(q);
      if (r === 2) discreteSum += 1;
    }
    if (q - 1 > 0.5) nWins++;
    else if (q - 1 < 0.5) nWinsBase++;
  }
  const n = xs.length;
  let mean = 0;
  for (const x of xs) mean += x;
  mean /= n || 1;
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  const sem = n > 1 ? Math.sqrt(ss / (n - 1) / n) : Number.NaN;
  return {
    winRate: n ? mean * 100 : Number.NaN,
    standardError: sem * 100,
    discreteWinRate: n ? (discreteSum / n) * 100 : Number.NaN,
    nWins,
    nWinsBase,
    nDraws,
    nTotal: n,
    nDropped: dropped,
  };
}

/**
 * Logistic regression with soft targets y in [0, 1] (a judge's probability is a fine target), optional
 * weights and an L2 penalty, by Newton's method with step halving. X is row-major n x d.
 */
export function fitLogistic(
  x: Float64Array,
  y: ArrayLike<number>,
  d: number,
  opts: { ridge?: number; weights?: ArrayLike<number>; tol?: number; maxIter?: number } = {},
): { beta: Float64Array; converged: boolean; iterations: number } {
  const n = y.length;
  const ridge = opts.ridge ?? 0;
  const beta = new Float64Array(d);
  const g = new Float64Array(d);
  const h = new Float64Array(d * d);
  const loss = (b: Float64Array): number => {
    let l = 0;
    for (let r = 0; r < n; r++) {
      let eta = 0;
      for (let c = 0; c < d; c++) eta += (x[r * d + c] as number) * (b[c] as number);
      const w = opts.weights ? (opts.weights[r] as number) : 1;
      const yr = y[r] as number;
      // log(1 + e^-eta) computed stably
      const lp = eta >= 0 ? Math.log1p(Math.exp(-eta)) : -eta + Math.log1p(Math.exp(eta));
      const lq = lp + eta;
      l += w * (yr * lp + (1 - yr) * lq);
    }
    for (let c = 0; c < d; c++) l += (ridge / 2) * (b[c] as number) ** 2;
    return l;
  };
  let cur = loss(beta);
  let converged = false;
  let it = 0;
  for (; it < (opts.maxIter ?? 100); it++) {
    g.fill(0);
    h.fill(0);
    for (let r = 0; r < n; r++) {
      let eta = 0;
      for (let c = 0; c < d; c++) eta += (x[r * d + c] as number) * (beta[c] as number);
      const p = 1 / (1 + Math.exp(-eta));
      const w = opts.weights ? (opts.weights[r] as number) : 1;
      const resid = w * ((y[r] as number) - p);
      const curv = w * p * (1 - p);
      for (let a = 0; a < d; a++) {
        const xa = x[r * d + a] as number;
        g[a] = (g[a] as number) + resid * xa;
        for (let b = 0; b < d; b++) h[a * d + b] = (h[a * d + b] as number) + curv * xa * (x[r * d + b] as number);
      }
    }
    for (let a = 0; a < d; a++) {
      g[a] = (g[a] as number) - ridge * (beta[a] as number);
      h[a * d + a] = (h[a * d + a] as number) + ridge + 1e-12;
    }
    if (!choleskyInPlace(h, d)) break;
    const step = Float64Array.from(g);
    choleskySolveInPlace(h, d, step);
    let scale = 1;
    const trial = new Float64Array(d);
    let next = cur;
    for (let half = 0; half < 30; half++) {
      for (let a = 0; a < d; a++) trial[a] = (beta[a] as number) + scale * (step[a] as number);
      next = loss(trial);
      if (next <= cur + 1e-12 * Math.abs(cur)) break;
      scale /= 2;
    }
    beta.set(trial);
    cur = next;
    let maxStep = 0;
    for (let a = 0; a < d; a++) maxStep = Math.max(maxStep, Math.abs(scale * (step[a] as number)));
    if (maxStep < (opts.tol ?? 1e-10)) {
      converged = true;
      it++;
      break;
    }
  }
  return { beta, converged, iterations: it };
}

export interface LcRow {
  /** Preference in [1, 2] (AlpacaEval encoding). */
  preference: number;
  lengthModel: number;
  lengthBaseline: number;
  /** Optional per-instruction difficulty (AlpacaEval's precomputed covariate). */
  difficulty?: number;
}

export interface LcWinRate {
  lcWinRate: number;
  /** Bootstrap standard error over instructions (NaN when no resamples were asked). */
  standardError: number;
  /** GLM coefficients: model term, length term, difficulty term (when used). */
  coefficients: { model: number; length: number; difficulty?: number };
  converged: boolean;
}

function lcOnce(rows: LcRow[], idx: ArrayLike<number>, useDifficulty: boolean, ridge: number) {
  const d = useDifficulty ? 3 : 2;
  const n = idx.length;
  const deltas = new Float64Array(n);
  let mean = 0;
  for (let r = 0; r < n; r++) {
    const row = rows[idx[r] as number] as LcRow;
    deltas[r] = row.lengthBaseline - row.lengthModel;
    mean += deltas[r] as number;
  }
  mean /= n;
  let ss = 0;
  for (let r = 0; r < n; r++) ss += ((deltas[r] as number) - mean) ** 2;
  const sd = Math.sqrt(ss / Math.max(1, n - 1)) || 1;
  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const row = rows[idx[r] as number] as LcRow;
    x[r * d] = 1;
    // As AlpacaEval: the length difference is divided by its standard deviation but not centred.
    x[r * d + 1] = Math.tanh((deltas[r] as number) / sd);
    if (useDifficulty) x[r * d + 2] = row.difficulty ?? 0;
    y[r] = (validPreference(row.preference) as number) - 1;
  }
  const fit = fitLogistic(x, y, d, { ridge });
  let lc = 0;
  for (let r = 0; r < n; r++) {
    let eta = fit.beta[0] as number;
    if (useDifficulty) eta += (fit.beta[2] as number) * (x[r * d + 2] as number);
    lc += 1 / (1 + Math.exp(-eta));
  }
  return { lc: (lc / n) * 100, beta: fit.beta, converged: fit.converged };
}

export function lengthControlledWinRate(
  rowsIn: LcRow[],
  opts: { bootstrap?: number; rng?: Rng; ridge?: number } = {},
): LcWinRate {
  const rows = rowsIn.filter((r) => validPreference(r.preference) !== undefined);
  const useDifficulty = rows.length > 0 && rows.every((r) => r.difficulty !== undefined);
  const ridge = opts.ridge ?? 1e-4;
  const all = Int32Array.from(rows.keys());
  const main = lcOnce(rows, all, useDifficulty, ridge);
  let se = Number.NaN;
  const B = opts.bootstrap ?? 0;
  if (B > 0 && opts.rng) {
    const vals: number[] = [];
    const idx = new Int32Array(rows.length);
    for (let b = 0; b < B; b++) {
      for (let r = 0; r < rows.length; r++) idx[r] = opts.rng.int(rows.length);
      vals.push(lcOnce(rows, idx, useDifficulty, ridge).lc);
    }
    const m = vals.reduce((s, v) => s + v, 0) / B;
    se = Math.sqrt(vals.reduce((s, v) => s + (v - m) ** 2, 0) / Math.max(1, B - 1));
  }
  const coefficients: LcWinRate["coefficients"] = { model: main.beta[0] as number, length: main.beta[1] as number };
  if (useDifficulty) coefficients.difficulty = main.beta[2] as number;
  return { lcWinRate: main.lc, standardError: se, coefficients, converged: main.converged };
}
