import { type FastUniform, sampleMultinomial } from "./binomial.ts";
import { ZIG_K, ZIG_W, zigguratSlow } from "./ziggurat.ts";

/**
 * Repeated Multinomial(N, p) draws over a fixed probability vector: what a bootstrap of aggregated outcome
 * cells needs once per round. Every cell draws independently from a Poisson whose mean N p_c is fixed for all
 * rounds, so the per-cell constants are computed once; then the total is made exactly N:
 *
 *   1. X_c ~ Poisson(lambda p_c) independently, lambda = N - 1.5 sqrt(N) (see MARGIN_SDS). Conditional on
 *      S = sum X_c, X is Multinomial(S, p) (a standard identity).
 *   2. If S < N, the N - S missing trials are single categorical draws from p (an alias table), i.e.
 *      Multinomial(N - S, p) added; if S > N, S - N of the S drawn trials are removed uniformly at random
 *      without replacement, which leaves Multinomial(N, p). Either way the result is exactly Multinomial(N, p),
 *      whatever S was, and only |N - S| (about 1.5 sqrt(N)) trials are touched.
 *
 * Poisson draws: inversion (exact) for means below POISSON_NORMAL_MIN; above, a ziggurat normal z mapped
 * through the Cornish-Fisher expansion of the Poisson quantile with a continuity correction,
 *   X = floor(mu + 1/2 + z sqrt(mu - 1/12) + (z^2 - 1)/6 + (z - z^3) / (72 sqrt(mu))),
 * with no logarithm, square root or rejection per draw. Its total-variation distance from Poisson(mu), computed
 * exactly (scipy: normal cdf at the z where the map crosses each k + 1/2, against the Poisson pmf): 2.9e-4 at
 * mu = 15, 1.9e-4 at 20, 4.6e-5 at 50, 1.6e-5 at 100, 5e-7 at 1000; its mean is off by < 1e-7 and its
 * variance by < 3e-4 (absolute) for every mu >= 15. (The plain rounded normal is 3e-2 away at mu = 15, and
 * without the -1/12, Sheppard's correction, the variance is 1/12 too large.) Exact PTRS cost a logarithm for a
 * third of its draws and was 70% of a bootstrap round on the 2024 arena counts.
 */
export class MultinomialSampler {
  private readonly cells: number;
  private readonly total: number;
  /** Small totals take the conditional-binomial path (cheap, and exact) instead. */
  private readonly direct: Float64Array | undefined;
  /**
   * Cells drawn through the normal (mean >= POISSON_NORMAL_MIN), and per such cell its Cornish-Fisher
   * constants: mu + 1/2 - 1/6, sqrt(mu - 1/12), 1/(72 sqrt(mu)). The two kinds of cell run in two loops over
   * packed arrays: one loop that branched on the kind of each cell mispredicted that branch often.
   */
  private readonly normalCell: Int32Array;
  private readonly cfShift: Float64Array;
  private readonly cfScale: Float64Array;
  private readonly cfCubic: Float64Array;
  /** Cells drawn by inversion (0 < mean < POISSON_NORMAL_MIN), and per such cell: mu, 1/mu, the mode, the pmf and cdf there. */
  private readonly smallCell: Int32Array;
  private readonly smallMu: Float64Array;
  private readonly smallInvMu: Float64Array;
  private readonly smallMode: Float64Array;
  private readonly smallPmf: Float64Array;
  private readonly smallCdf: Float64Array;
  private readonly aliasProb: Float64Array;
  private readonly alias: Int32Array;
  /** Prefix sums of a draw and Chen and Asau's guide table over them, for removing trials uniformly at random. */
  private readonly cum: Float64Array;
  private readonly guide: Int32Array;

  /** `weights` are non-negative cell weights (counts); `total` the number of trials per draw. */
  constructor(weights: ArrayLike<number>, total: number) {
    const n = weights.length;
    this.cells = n;
    this.total = total;
    let mass = 0;
    for (let c = 0; c < n; c++) mass += weights[c] as number;
    this.aliasProb = new Float64Array(n);
    this.alias = new Int32Array(n);
    this.cum = new Float64Array(n + 1);
    this.guide = new Int32Array(n);
    const direct = total < 2000 || mass <= 0;
    this.direct = direct ? Float64Array.from(weights) : undefined;
    const lambda = total - Math.ceil(MARGIN_SDS * Math.sqrt(total));
    const mu = Array.from({ length: n }, (_, c) => (direct ? 0 : (lambda * (weights[c] as number)) / mass));
    const normal = mu.flatMap((m, c) => (m >= POISSON_NORMAL_MIN ? [c] : []));
    const small = mu.flatMap((m, c) => (m > 0 && m < POISSON_NORMAL_MIN ? [c] : []));
    this.normalCell = Int32Array.from(normal);
    this.cfShift = Float64Array.from(normal, (c) => (mu[c] as number) + 0.5 - 1 / 6);
    this.cfScale = Float64Array.from(normal, (c) => Math.sqrt((mu[c] as number) - 1 / 12));
    this.cfCubic = Float64Array.from(normal, (c) => 1 / (72 * Math.sqrt(mu[c] as number)));
    this.smallCell = Int32Array.from(small);
    this.smallMu = Float64Array.from(small, (c) => mu[c] as number);
    this.smallInvMu = Float64Array.from(small, (c) => 1 / (mu[c] as number));
    this.smallMode = Float64Array.from(small, (c) => Math.floor(mu[c] as number));
    this.smallPmf = new Float64Array(small.length);
    this.smallCdf = new Float64Array(small.length);
    small.forEach((c, i) => {
      const m = mu[c] as number;
      let p = Math.exp(-m);
      let f = p;
      for (let k = 1; k <= Math.floor(m); k++) {
        p *= m / k;
        f += p;
      }
      this.smallPmf[i] = p;
      this.smallCdf[i] = f;
    });
    if (!direct) buildAlias(weights, mass, this.aliasProb, this.alias);
  }

  /** One draw into `out` (length = number of cells). `rng`'s state advances as if each uniform were drawn by `next()`. */
  sample(out: Float64Array, rng: FastUniform): void {
    if (this.direct) {
      sampleMultinomial(this.total, this.direct, out, rng);
      return;
    }
    const n = this.cells;
    // Module bindings read once: under tsx each read of an imported binding is a getter call.
    const zigK = ZIG_K;
    const zigW = ZIG_W;
    // xoshiro128** in local variables: the same stream as FastUniform.next(), without a property load and store
    // per word (this loop draws ~10,000 words per call). Each block below marked "word" is that step written out.
    let sa = rng.a;
    let sb = rng.b;
    let sc = rng.c;
    let sd = rng.d;
    let s = 0;
    out.fill(0);
    const normalCell = this.normalCell;
    const cfShift = this.cfShift;
    const cfScale = this.cfScale;
    const cfCubic = this.cfCubic;
    for (let i = 0; i < normalCell.length; i++) {
      // word
      let r = Math.imul(sb, 5);
      r = Math.imul((r << 7) | (r >>> 25), 9);
      const t = sb << 9;
      sc ^= sa;
      sd ^= sb;
      sb ^= sc;
      sa ^= sd;
      sc ^= t;
      sd = (sd << 11) | (sd >>> 21);
      // Ziggurat: the low 7 bits pick the layer, the other 25 (signed) the abscissa.
      const layer = r & 127;
      const j = r >> 7;
      let z: number;
      if (Math.abs(j) < (zigK[layer] as number)) z = j * (zigW[layer] as number);
      else {
        rng.a = sa;
        rng.b = sb;
        rng.c = sc;
        rng.d = sd;
        z = zigguratSlow(rng, j, layer);
        sa = rng.a;
        sb = rng.b;
        sc = rng.c;
        sd = rng.d;
      }
      const z2 = z * z;
      const v = (cfShift[i] as number) + z * (cfScale[i] as number) + z2 / 6 + (cfCubic[i] as number) * z * (1 - z2);
      // Truncation is the floor above 0; below 0 only for z beyond about -3.9 at the smallest means (the
      // Poisson puts < 4e-7 at 0 there).
      const x = v > 0 ? v | 0 : 0;
      out[normalCell[i] as number] = x;
      s += x;
    }
    const smallCell = this.smallCell;
    const smallMu = this.smallMu;
    const smallInvMu = this.smallInvMu;
    const smallMode = this.smallMode;
    const smallPmf = this.smallPmf;
    const smallCdf = this.smallCdf;
    for (let i = 0; i < smallCell.length; i++) {
      // Inversion started at the mode: about 0.8 sqrt(mu) steps instead of mu + 1 from 0.
      // word
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
      let k = smallMode[i] as number;
      let p = smallPmf[i] as number;
      let f = smallCdf[i] as number;
      if (u < f) {
        // X = the smallest k with u < F(k); F(k - 1) = F(k) - pmf(k), pmf(k - 1) = pmf(k) k / mu.
        const im = smallInvMu[i] as number;
        while (k > 0 && u < f - p) {
          f -= p;
          p *= k * im;
          k--;
        }
      } else {
        // pmf(k + 1) = pmf(k) mu / (k + 1). Rounding can leave u above the summed mass far in the tail, where
        // the Poisson puts < 1e-30: the walk then stops at the table's end.
        const m = smallMu[i] as number;
        while (u >= f && k < INV_LAST) {
          k++;
          p *= m * (INV[k] as number);
          f += p;
        }
      }
      out[smallCell[i] as number] = k;
      s += k;
    }
    const total = this.total;
    if (s < total) {
      const aliasProb = this.aliasProb;
      const alias = this.alias;
      for (let left = total - s; left > 0; left--) {
        // word
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
        // word
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
    } else if (s > total) {
      // Remove s - total of the s drawn trials, uniformly without replacement: number the trials 0..s-1 cell by
      // cell (cum), draw a number uniformly, and remove that trial if it is still there. A cell's removed
      // trials are taken to be its last ones (they are exchangeable), so trial o of cell c is still there
      // while o < out[c]; a number that hits a removed trial is drawn again (rare: under s / total - 1).
      const cum = this.cum;
      const guide = this.guide;
      cum[0] = 0;
      for (let c = 0; c < n; c++) cum[c + 1] = (cum[c] as number) + (out[c] as number);
      // Chen and Asau's guide table: guide[g] is the first cell whose range reaches past g s / n, so finding a
      // trial's cell is a step or two from there instead of a binary search (whose unpredictable branches cost
      // more than the rest of the removal).
      for (let g = 0, c = 0; g < n; g++) {
        const threshold = (g * s) / n;
        while ((cum[c + 1] as number) <= threshold) c++;
        guide[g] = c;
      }
      // Uniform integers below s by rejection of the top partial block of 2^32 (exact).
      const limit = Math.floor(4294967296 / s) * s;
      for (let left = s - total; left > 0; ) {
        // word
        let r = Math.imul(sb, 5);
        r = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
        const t = sb << 9;
        sc ^= sa;
        sd ^= sb;
        sb ^= sc;
        sa ^= sd;
        sc ^= t;
        sd = (sd << 11) | (sd >>> 21);
        if (r >= limit) continue;
        const pos = r % s;
        // The cell whose range [cum[c], cum[c+1]) holds pos (the second walk only guards rounding in g).
        let c = guide[Math.min(n - 1, Math.floor((pos * n) / s))] as number;
        while ((cum[c + 1] as number) <= pos) c++;
        while ((cum[c] as number) > pos) c--;
        if (pos - (cum[c] as number) < (out[c] as number)) {
          out[c] = (out[c] as number) - 1;
          left--;
        }
      }
    }
    rng.a = sa;
    rng.b = sb;
    rng.c = sc;
    rng.d = sd;
  }
}

/**
 * Means from here up take the normal-based Poisson draw (total-variation error <= 2.9e-4 per cell, see above);
 * below, exact inversion from the mode, about 0.8 sqrt(mu) steps.
 */
export const POISSON_NORMAL_MIN = 15;

/**
 * The Poisson means sum to N - MARGIN_SDS sqrt(N): the total then falls short (cheap categorical fills, about
 * 1.5 sqrt(N) of them) in 93% of draws and overshoots (a pass to number the trials, then removals) in 7%; with
 * means summing to N the overshoot came in half the draws and its pass cost more than the extra fills.
 */
const MARGIN_SDS = 1.5;
const TWO_M32 = 2 ** -32;
/** 1/k for the inversion walk; Poisson(15) puts < 1e-40 beyond 100. */
const INV_LAST = 100;
const INV = Float64Array.from({ length: INV_LAST + 1 }, (_, k) => (k === 0 ? 0 : 1 / k));

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
