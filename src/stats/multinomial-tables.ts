/**
 * The tables a MultinomialSampler (multinomial.ts) keeps fixed for all its draws, built once per bootstrap: which
 * cells draw through the normal and their Cornish-Fisher constants, the small means' cdf tables for inversion, and
 * the alias table for the fills. Plain data, so they can be built on one thread and sent to worker threads.
 */

/** What a MultinomialSampler keeps fixed for all its draws. */
export interface SamplerTables {
  total: number;
  /** Small totals take the conditional-binomial path (cheap, and exact) instead. */
  direct: Float64Array | undefined;
  /**
   * Cells drawn through the normal (mean >= POISSON_NORMAL_MIN), and per such cell its Cornish-Fisher
   * constants: mu + 1/2 - 1/6, sqrt(mu - 1/12), 1/(72 sqrt(mu)). The two kinds of cell run in two loops over
   * packed arrays: one loop that branched on the kind of each cell mispredicted that branch often.
   */
  normalCell: Int32Array;
  cfShift: Float64Array;
  cfScale: Float64Array;
  cfCubic: Float64Array;
  /**
   * Cells drawn by inversion (0 < mean < POISSON_NORMAL_MIN). Their cdf tables, one run per cell in smallCdf from
   * smallStart[i] (X = index - smallStart[i]), and per cell SMALL_GUIDE guide entries: the first index whose cdf
   * exceeds g / SMALL_GUIDE, where the search for a uniform in that slice starts (see `smallCdfTable`).
   */
  smallCell: Int32Array;
  smallStart: Int32Array;
  smallCdf: Float64Array;
  smallGuide: Int32Array;
  /** Walker's alias table over the cells, for the categorical fills. */
  aliasProb: Float64Array;
  alias: Int32Array;
}

/** The tables of a sampler for `weights` and `total` (see MultinomialSampler). */
export function samplerTables(weights: ArrayLike<number>, total: number): SamplerTables {
  const n = weights.length;
  let mass = 0;
  for (let c = 0; c < n; c++) mass += weights[c] as number;
  const aliasProb = new Float64Array(n);
  const alias = new Int32Array(n);
  const direct = total < 2000 || mass <= 0;
  const lambda = total - Math.ceil(MARGIN_SDS * Math.sqrt(total));
  // Plain loops over typed arrays: this runs once per bootstrap, in code not yet compiled (closures over
  // 10,000-element arrays cost tens of ms there).
  const mu = new Float64Array(n);
  let normals = 0;
  let smalls = 0;
  for (let c = 0; c < n; c++) {
    const m = direct ? 0 : (lambda * (weights[c] as number)) / mass;
    mu[c] = m;
    if (m >= POISSON_NORMAL_MIN) normals++;
    else if (m > 0) smalls++;
  }
  const normalCell = new Int32Array(normals);
  const cfShift = new Float64Array(normals);
  const cfScale = new Float64Array(normals);
  const cfCubic = new Float64Array(normals);
  const smallCell = new Int32Array(smalls);
  const smallMu = new Float64Array(smalls);
  for (let c = 0, i = 0, j = 0; c < n; c++) {
    const m = mu[c] as number;
    if (m >= POISSON_NORMAL_MIN) {
      normalCell[i] = c;
      cfShift[i] = m + 0.5 - 1 / 6;
      cfScale[i] = Math.sqrt(m - 1 / 12);
      cfCubic[i] = 1 / (72 * Math.sqrt(m));
      i++;
    } else if (m > 0) {
      smallCell[j] = c;
      smallMu[j] = m;
      j++;
    }
  }
  const table = smallCdfTable(smallMu);
  if (!direct) buildAlias(weights, mass, aliasProb, alias);
  return {
    total,
    direct: direct ? Float64Array.from(weights) : undefined,
    normalCell,
    cfShift,
    cfScale,
    cfCubic,
    smallCell,
    smallStart: table.start,
    smallCdf: table.cdf,
    smallGuide: table.guide,
    aliasProb,
    alias,
  };
}

/**
 * The cdf tables of Poisson(mu) for each mean in `mus`, for inversion: X = the smallest k with u < F(k). F is
 * computed from the mode outwards, F(k - 1) = F(k) - pmf(k) below and F(k + 1) = F(k) + pmf(k + 1) above, with
 * the pmf by its ratio recurrences, so every value is what the walk from the mode (this sampler until December
 * 2026) compared u with, and the draws are the same. A table ends where F exceeds the largest uniform, or at
 * INV_LAST (+infinity there: Poisson(15) puts < 1e-40 beyond, and rounding can keep F below the largest uniform).
 * Searching a table from its guide entry takes about one comparison per draw instead of the walk's 0.8 sqrt(mu)
 * unpredictable branches (the walk was 29 ns a cell, 52 us a round on the 2024 arena counts).
 */
export function smallCdfTable(mus: ArrayLike<number>): { start: Int32Array; cdf: Float64Array; guide: Int32Array } {
  const cells = mus.length;
  const start = new Int32Array(cells + 1);
  // At most INV_LAST + 1 values a cell; trimmed at the end.
  const all = new Float64Array(cells * (INV_LAST + 1));
  const guide = new Int32Array(cells * SMALL_GUIDE);
  let length = 0;
  for (let i = 0; i < cells; i++) {
    const m = mus[i] as number;
    const mode = Math.floor(m);
    const im = 1 / m;
    let p = Math.exp(-m);
    let f = p;
    for (let k = 1; k <= mode; k++) {
      p *= m / k;
      f += p;
    }
    const from = length;
    all[from + mode] = f;
    let pd = p;
    let fd = f;
    for (let k = mode; k > 0; k--) {
      fd -= pd;
      all[from + k - 1] = fd;
      pd *= k * im;
    }
    let k = mode;
    while (f <= LARGEST_UNIFORM && k < INV_LAST) {
      k++;
      p *= m * (INV[k] as number);
      f += p;
      all[from + k] = f;
    }
    if (k === INV_LAST) all[from + k] = Number.POSITIVE_INFINITY;
    start[i] = from;
    length = from + k + 1;
    for (let g = 0, at = from; g < SMALL_GUIDE; g++) {
      while ((all[at] as number) <= g / SMALL_GUIDE) at++;
      guide[i * SMALL_GUIDE + g] = at;
    }
  }
  start[cells] = length;
  return { start: start.subarray(0, cells), cdf: all.slice(0, length), guide };
}

/** Guide entries per small-mean cell (a power of two: the top bits of the uniform's word pick one). */
export const SMALL_GUIDE_BITS = 4;
export const SMALL_GUIDE = 1 << SMALL_GUIDE_BITS;
/** The largest uniform a 32-bit word gives. */
const LARGEST_UNIFORM = 1 - 2 ** -32;

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
/** 1/k for the inversion walk; Poisson(15) puts < 1e-40 beyond 100. */
const INV_LAST = 100;
const INV = Float64Array.from({ length: INV_LAST + 1 }, (_, k) => (k === 0 ? 0 : 1 / k));

/** Walker's alias table (Vose's construction) for categorical draws in O(1). */
function buildAlias(weights: ArrayLike<number>, mass: number, prob: Float64Array, alias: Int32Array): void {
  const n = weights.length;
  const scaled = new Float64Array(n);
  // Two stacks (typed, filled from the front): this runs once per bootstrap, in code not yet compiled.
  const small = new Int32Array(n);
  const large = new Int32Array(n);
  let ns = 0;
  let nl = 0;
  for (let c = 0; c < n; c++) {
    scaled[c] = ((weights[c] as number) * n) / mass;
    if ((scaled[c] as number) < 1) small[ns++] = c;
    else large[nl++] = c;
  }
  while (ns > 0 && nl > 0) {
    const s = small[--ns] as number;
    const l = large[--nl] as number;
    prob[s] = scaled[s] as number;
    alias[s] = l;
    scaled[l] = (scaled[l] as number) + (scaled[s] as number) - 1;
    if ((scaled[l] as number) < 1) small[ns++] = l;
    else large[nl++] = l;
  }
  // What is left has probability 1 up to rounding.
  for (let i = 0; i < nl; i++) {
    const c = large[i] as number;
    prob[c] = 1;
    alias[c] = c;
  }
  for (let i = 0; i < ns; i++) {
    const c = small[i] as number;
    prob[c] = 1;
    alias[c] = c;
  }
}
