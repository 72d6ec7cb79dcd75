import { type FastUniform, sampleMultinomial } from "./binomial.ts";

/**
 * Repeated Multinomial(N, p) draws over a fixed probability vector: what a bootstrap of aggregated outcome
 * cells needs once per round. The conditional-binomial method (`sampleMultinomial`) recomputes its
 * rejection constants for every cell of every round, because each cell's binomial depends on what the cells
 * before it drew. This sampler instead draws every cell independently from a Poisson whose mean is fixed
 * for all rounds, so the constants are computed once:
 *
 *   1. X_c ~ Poisson(lambda * p_c) independently, with lambda = N - 3 sqrt(N) a little below N.
 *      Conditional on S = sum X_c, X is Multinomial(S, p) (a standard identity). A draw with S > N
 *      (about 0.1% of rounds) is discarded and redrawn, which leaves that conditional law unchanged.
 *   2. The N - S missing trials (about 3 sqrt(N)) are single categorical draws from p through an alias
 *      table, i.e. Multinomial(N - S, p), and the sum of the two parts is exactly Multinomial(N, p).
 *
 * Poisson draws use inversion for means below 10 and Hormann's PTRS transformed rejection (1993) above,
 * with log-factorials from a table. (Tabulated inversion per cell was tried: its tables outgrow the cache
 * and each draw then waits on memory, 4x slower than PTRS on the 2024 arena counts.)
 */
export class MultinomialSampler {
  private readonly cells: number;
  private readonly total: number;
  /** Small totals take the conditional-binomial path (cheap, and exact) instead. */
  private readonly direct: Float64Array | undefined;
  private readonly mu: Float64Array;
  /** 0: mean 0; 1: inversion; 2: PTRS. */
  private readonly kind: Uint8Array;
  private readonly expNegMu: Float64Array;
  /**
   * PTRS constants per cell, one array each (an interleaved layout with six per cell ran the draw loop 2x
   * slower): b, 2a, 1/alpha, v_r, log(mu), mu + 0.43.
   */
  private readonly pB: Float64Array;
  private readonly pA2: Float64Array;
  private readonly pIAlpha: Float64Array;
  private readonly pVr: Float64Array;
  private readonly pLogMu: Float64Array;
  /** log pmf at the mode (L), and 1/alpha * e^-L: the scale at which cheap bounds on the logarithm decide most tests. */
  private readonly pLogMode: Float64Array;
  private readonly pIAlphaScaled: Float64Array;
  private readonly pShift: Float64Array;
  private readonly logFact: Float64Array;
  private readonly aliasProb: Float64Array;
  private readonly alias: Int32Array;

  /** `weights` are non-negative cell weights (counts); `total` the number of trials per draw. */
  constructor(weights: ArrayLike<number>, total: number) {
    const n = weights.length;
    this.cells = n;
    this.total = total;
    let mass = 0;
    for (let c = 0; c < n; c++) mass += weights[c] as number;
    this.mu = new Float64Array(n);
    this.kind = new Uint8Array(n);
    this.expNegMu = new Float64Array(n);
    this.pB = new Float64Array(n);
    this.pA2 = new Float64Array(n);
    this.pIAlpha = new Float64Array(n);
    this.pVr = new Float64Array(n);
    this.pLogMu = new Float64Array(n);
    this.pLogMode = new Float64Array(n);
    this.pIAlphaScaled = new Float64Array(n);
    this.pShift = new Float64Array(n);
    this.aliasProb = new Float64Array(n);
    this.alias = new Int32Array(n);
    if (total < 2000 || mass <= 0) {
      this.direct = Float64Array.from(weights);
      this.logFact = new Float64Array(1);
      return;
    }
    this.direct = undefined;
    const lambda = total - Math.ceil(3 * Math.sqrt(total));
    let maxMu = 0;
    for (let c = 0; c < n; c++) {
      const m = (lambda * (weights[c] as number)) / mass;
      this.mu[c] = m;
      if (m > maxMu) maxMu = m;
      if (m <= 0) continue;
      if (m < 10) {
        this.kind[c] = 1;
        this.expNegMu[c] = Math.exp(-m);
        continue;
      }
      this.kind[c] = 2;
      const b = 0.931 + 2.53 * Math.sqrt(m);
      this.pB[c] = b;
      this.pA2[c] = 2 * (-0.059 + 0.02483 * b);
      this.pIAlpha[c] = 1.1239 + 1.1328 / (b - 3.4);
      this.pVr[c] = 0.9277 - 3.6224 / (b - 2);
      this.pLogMu[c] = Math.log(m);
      this.pShift[c] = m + 0.43;
    }
    // Log-factorials up to far in the tail of the largest mean; beyond that, Stirling's series.
    const size = Math.ceil(maxMu + 40 * Math.sqrt(maxMu) + 64);
    this.logFact = new Float64Array(size);
    for (let k = 2; k < size; k++) this.logFact[k] = (this.logFact[k - 1] as number) + Math.log(k);
    for (let c = 0; c < n; c++) {
      if (this.kind[c] !== 2) continue;
      const m = this.mu[c] as number;
      const mode = Math.floor(m);
      const logMode = -m + mode * (this.pLogMu[c] as number) - (this.logFact[mode] as number);
      this.pLogMode[c] = logMode;
      this.pIAlphaScaled[c] = (this.pIAlpha[c] as number) * Math.exp(-logMode);
    }
    buildAlias(weights, mass, this.aliasProb, this.alias);
  }

  /** One draw into `out` (length = number of cells). `rng`'s state advances as if each uniform were drawn by `next()`. */
  sample(out: Float64Array, rng: FastUniform): void {
    if (this.direct) {
      sampleMultinomial(this.total, this.direct, out, rng);
      return;
    }
    const n = this.cells;
    const kind = this.kind;
    const mu = this.mu;
    const pB = this.pB;
    const pA2 = this.pA2;
    const pVr = this.pVr;
    const pShift = this.pShift;
    const expNegMu = this.expNegMu;
    // xoshiro128** in local variables: the same stream as FastUniform.next(), without a property load and store
    // per word (this loop draws ~20,000 uniforms per call). `uniform()` below is that step, written out.
    let sa = rng.a;
    let sb = rng.b;
    let sc = rng.c;
    let sd = rng.d;
    let s: number;
    do {
      s = 0;
      for (let c = 0; c < n; c++) {
        const kc = kind[c] as number;
        let x = 0;
        if (kc === 2) {
          const b = pB[c] as number;
          const a2 = pA2[c] as number;
          const vr = pVr[c] as number;
          const shift = pShift[c] as number;
          for (;;) {
            let r = Math.imul(sb, 5);
            r = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
            let t = sb << 9;
            sc ^= sa;
            sd ^= sb;
            sb ^= sc;
            sa ^= sd;
            sc ^= t;
            sd = (sd << 11) | (sd >>> 21);
            const u = r * TWO_M32 - 0.5;
            r = Math.imul(sb, 5);
            r = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
            t = sb << 9;
            sc ^= sa;
            sd ^= sb;
            sb ^= sc;
            sa ^= sd;
            sc ^= t;
            sd = (sd << 11) | (sd >>> 21);
            const v = r * TWO_M32;
            const us = 0.5 - Math.abs(u);
            const k = Math.floor((a2 / us + b) * u + shift);
            if (us >= 0.07 && v <= vr) {
              x = k;
              break;
            }
            if (k < 0 || (us < 0.013 && v > us)) continue;
            if (this.accept(c, k, us, v)) {
              x = k;
              break;
            }
          }
        } else if (kc === 1) {
          const m = mu[c] as number;
          for (;;) {
            let r = Math.imul(sb, 5);
            r = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
            const t = sb << 9;
            sc ^= sa;
            sd ^= sb;
            sb ^= sc;
            sa ^= sd;
            sc ^= t;
            sd = (sd << 11) | (sd >>> 21);
            const u = r * TWO_M32;
            let p = expNegMu[c] as number;
            let f = p;
            let k = 0;
            while (u > f && k <= 1000) {
              k++;
              p *= m / k;
              f += p;
            }
            // Rounding can leave u above the summed mass far in the tail: draw again (vanishingly rare).
            if (k <= 1000) {
              x = k;
              break;
            }
          }
        }
        out[c] = x;
        s += x;
      }
    } while (s > this.total);
    const aliasProb = this.aliasProb;
    const alias = this.alias;
    for (let left = this.total - s; left > 0; left--) {
      let r = Math.imul(sb, 5);
      r = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
      let t = sb << 9;
      sc ^= sa;
      sd ^= sb;
      sb ^= sc;
      sa ^= sd;
      sc ^= t;
      sd = (sd << 11) | (sd >>> 21);
      const c = Math.floor(r * TWO_M32 * n);
      r = Math.imul(sb, 5);
      r = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
      t = sb << 9;
      sc ^= sa;
      sd ^= sb;
      sb ^= sc;
      sa ^= sd;
      sc ^= t;
      sd = (sd << 11) | (sd >>> 21);
      const pick = r * TWO_M32 < (aliasProb[c] as number) ? c : (alias[c] as number);
      out[pick] = (out[pick] as number) + 1;
    }
    rng.a = sa;
    rng.b = sb;
    rng.c = sc;
    rng.d = sd;
  }
  /**
   * PTRS's exact test for cell c, taken for about a third of the draws; apart, so the hot loop stays small.
   * log(v) + log(1/alpha) - log(a/us^2 + b) <= log pmf(k) + const, as one logarithm.
   */
  private accept(c: number, k: number, us: number, v: number): boolean {
    const lf = k < this.logFact.length ? (this.logFact[k] as number) : stirlingLogFactorial(k);
    const rhs = -(this.mu[c] as number) + k * (this.pLogMu[c] as number) - lf;
    const env = (this.pA2[c] as number) / 2 / (us * us) + (this.pB[c] as number);
    // The test is log(x) <= rhs. With y = x e^-L and r = rhs - L, bounds on log(y) settle most
    // cases without a logarithm; the 1e-9 margins keep every such answer the one the
    // logarithm gives, so the draws are the same as with the logarithm alone.
    const y = (v * (this.pIAlphaScaled[c] as number)) / env;
    const r = rhs - (this.pLogMode[c] as number);
    // Below 1, 2(y-1)/(y+1) lies above log(y) and (y-1)/sqrt(y) below it; above 1 they swap.
    const pade = (2 * (y - 1)) / (y + 1);
    const root = (y - 1) / Math.sqrt(y);
    if ((y < 1 ? pade : root) <= r - 1e-9) return true;
    if ((y < 1 ? root : pade) > r + 1e-9) return false;
    return Math.log((v * (this.pIAlpha[c] as number)) / env) <= rhs;
  }
}

const TWO_M32 = 2 ** -32;

/** Stirling's series for log(k!) = lgamma(k + 1), for k beyond the table (far in a tail: these terms suffice). */
function stirlingLogFactorial(k: number): number {
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x * x * x);
}

/** Walker's alias table (Vose's construction) for categorical draws in O(1). */
function buildAlias(weights: ArrayLike<number>, mass: number, prob: Float64Array, alias: Int32Array): void {
  const n = weights.length;
  const scaled = new Float64Array(n);
  const small: number[] = [];
  const large: number[] = [];
  for (let c = 0; c < n; c++) {
    scaled[c] = ((weights[c] as number) * n) / mass;
    if ((scaled[c] as number) < 1) small.push(c);
    else large.push(c);
  }
  while (small.length > 0 && large.length > 0) {
    const s = small.pop() as number;
    const l = large.pop() as number;
    prob[s] = scaled[s] as number;
    alias[s] = l;
    scaled[l] = (scaled[l] as number) + (scaled[s] as number) - 1;
    if ((scaled[l] as number) < 1) small.push(l);
    else large.push(l);
  }
  // What is left has probability 1 up to rounding.
  for (const c of large) {
    prob[c] = 1;
    alias[c] = c;
  }
  for (const c of small) {
    prob[c] = 1;
    alias[c] = c;
  }
}
