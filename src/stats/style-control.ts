import type { Rng } from "../core/rng.ts";
import { fitPairwiseLogit, type PairwiseDesign } from "./bradley-terry.ts";

/**
 * Bradley-Terry with style covariates, as Chatbot Arena's style control: each battle adds, per style
 * feature, the normalized difference (a - b) / (a + b) of the two answers (0 when both are 0),
 * standardized over battles. The model strengths are then what remains once length and markdown are
 * accounted for; the coefficients say how much each feature sways the voters.
 */
export interface StyledBattle {
  i: number;
  j: number;
  /** Score of i: 1 win, 0 loss, 0.5 tie. */
  y: number;
  styleI: ArrayLike<number>;
  styleJ: ArrayLike<number>;
}

export interface StyleControlFit {
  /** Model strengths (natural log-odds, mean zero). */
  theta: Float64Array;
  /** One coefficient per style feature (log-odds per standard deviation of the normalized difference). */
  beta: Float64Array;
  converged: boolean;
  /** Bootstrap percentile intervals of theta (95%), when resamples were asked. */
  thetaLower?: Float64Array;
  thetaUpper?: Float64Array;
  betaSe?: Float64Array;
}

/** Columns whose normalized difference is constant carry no information and would make the fit singular. */
export function styleDesign(k: number, battles: StyledBattle[], p: number): PairwiseDesign & { active: number[] } {
  const m = battles.length;
  const z = new Float64Array(m * p);
  const sds = new Float64Array(p);
  for (let r = 0; r < m; r++) {
    const b = battles[r] as StyledBattle;
    for (let c = 0; c < p; c++) {
      const a = b.styleI[c] as number;
      const o = b.styleJ[c] as number;
      z[r * p + c] = a + o === 0 ? 0 : (a - o) / (a + o);
    }
  }
  for (let c = 0; c < p; c++) {
    let mean = 0;
    for (let r = 0; r < m; r++) mean += z[r * p + c] as number;
    mean /= m || 1;
    let ss = 0;
    for (let r = 0; r < m; r++) ss += ((z[r * p + c] as number) - mean) ** 2;
    const sd = Math.sqrt(ss / Math.max(1, m - 1));
    for (let r = 0; r < m; r++) z[r * p + c] = sd > 0 ? ((z[r * p + c] as number) - mean) / sd : 0;
    sds[c] = sd;
  }
  const active = [...Array(p).keys()].filter((c) => (sds[c] as number) > 1e-12);
  const q = active.length;
  const zq = new Float64Array(m * q);
  for (let r = 0; r < m; r++) {
    for (let e = 0; e < q; e++) zq[r * q + e] = z[r * p + (active[e] as number)] as number;
  }
  return {
    k,
    i: Int32Array.from(battles, (b) => b.i),
    j: Int32Array.from(battles, (b) => b.j),
    n: new Float64Array(m).fill(1),
    y: Float64Array.from(battles, (b) => b.y),
    p: q,
    z: zq,
    active,
  };
}

function fit(d: PairwiseDesign & { active: number[] }, ridge: number, pAll: number) {
  const f = fitPairwiseLogit(d, { ridge });
  const q = d.p ?? 0;
  const theta = f.params.slice(0, d.k);
  let mean = 0;
  for (let a = 0; a < d.k; a++) mean += theta[a] as number;
  mean /= d.k;
  for (let a = 0; a < d.k; a++) theta[a] = (theta[a] as number) - mean;
  const beta = new Float64Array(pAll);
  for (let e = 0; e < q; e++) beta[d.active[e] as number] = f.params[d.k + e] as number;
  return { theta, beta, converged: f.converged };
}

export function fitStyleControl(
  k: number,
  battles: StyledBattle[],
  p: number,
  opts: { ridge?: number; bootstrap?: number; rng?: Rng } = {},
): StyleControlFit {
  const ridge = opts.ridge ?? 0;
  const d = styleDesign(k, battles, p);
  const main = fit(d, ridge, p);
  const out: StyleControlFit = main;
  const B = opts.bootstrap ?? 0;
  if (B > 0 && opts.rng && battles.length > 0) {
    const thetas: Float64Array[] = [];
    const betas: Float64Array[] = [];
    const m = battles.length;
    for (let b = 0; b < B; b++) {
      const n = new Float64Array(m);
      for (let r = 0; r < m; r++) {
        const pick = opts.rng.int(m);
        n[pick] = (n[pick] as number) + 1;
      }
      // Resampling battles = reweighting rows; y scales with the count.
      const y = Float64Array.from(d.y, (v, r) => v * (n[r] as number));
      const f = fit({ ...d, n, y }, ridge, p);
      thetas.push(f.theta);
      betas.push(f.beta);
    }
    const lower = new Float64Array(k);
    const upper = new Float64Array(k);
    for (let a = 0; a < k; a++) {
      const vals = thetas.map((t) => t[a] as number).sort((x, y) => x - y);
      lower[a] = vals[Math.floor(0.025 * (B - 1))] as number;
      upper[a] = vals[Math.ceil(0.975 * (B - 1))] as number;
    }
    const betaSe = new Float64Array(p);
    for (let c = 0; c < p; c++) {
      const vals = betas.map((t) => t[c] as number);
      const mean = vals.reduce((s, v) => s + v, 0) / B;
      betaSe[c] = Math.sqrt(vals.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, B - 1));
    }
    out.thetaLower = lower;
    out.thetaUpper = upper;
    out.betaSe = betaSe;
  }
  return out;
}
