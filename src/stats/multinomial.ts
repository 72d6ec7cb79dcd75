import { type FastUniform, sampleMultinomial, streamUniform } from "./binomial.ts";
import { type SamplerTables, SMALL_GUIDE, SMALL_GUIDE_BITS, samplerTables } from "./multinomial-tables.ts";
import { ZIG_K, ZIG_W, zigguratSlow } from "./ziggurat.ts";

/**
 * Repeated Multinomial(N, p) draws over a fixed probability vector: what a bootstrap of aggregated outcome
 * cells needs once per round. Every cell draws independently from a Poisson whose mean N p_c is fixed for all
 * rounds, so the per-cell constants are computed once; then the total is made exactly N:
 *
 *   1. X_c ~ Poisson(lambda p_c) independently, lambda = N - 1.5 sqrt(N) (MARGIN_SDS in multinomial-tables.ts,
 *      which builds these constants). Conditional on S = sum X_c, X is Multinomial(S, p) (a standard identity).
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
  /** Everything fixed for all draws: plain data, so it can be computed once and sent to worker threads. */
  readonly tables: SamplerTables;
  /** Prefix sums of a draw and Chen and Asau's guide table over them, for removing trials uniformly at random. */
  private readonly cum: Float64Array;
  private readonly guide: Int32Array;

  /**
   * `weights` are non-negative cell weights (counts); `total` the number of trials per draw. `tables`, when
   * given, are `samplerTables(weights, total)` computed before (then `weights` are not read).
   */
  constructor(weights: ArrayLike<number>, total: number, tables?: SamplerTables) {
    this.tables = tables ?? samplerTables(weights, total);
    const n = this.tables.aliasProb.length;
    this.cum = new Float64Array(n + 1);
    this.guide = new Int32Array(n);
    if (!this.tables.direct) primeDraws(this.tables);
  }

  /** One draw into `out` (length = number of cells). `rng`'s state advances as if each uniform were drawn by `next()`. */
  sample(out: Float64Array, rng: FastUniform): void {
    const t = this.tables;
    if (t.direct) {
      sampleMultinomial(t.total, t.direct, out, rng);
      return;
    }
    out.fill(0);
    // One function per path, each with its own loop: V8 compiled the single function these were while in its first
    // loop (on-stack replacement), without type feedback for the later paths, and then left that code at the first
    // later property read once per call in ~1% of calls (56 deoptimizations in 5,000 rounds), each finishing its
    // draw in the interpreter.
    let s = drawNormalCells(out, rng, t.normalCell, t.cfShift, t.cfScale, t.cfCubic);
    s += drawSmallCells(out, rng, t.smallCell, t.smallStart, t.smallCdf, t.smallGuide);
    if (s < t.total) fillMissing(out, rng, t.total - s, t.aliasProb, t.alias);
    else if (s > t.total) removeExcess(out, rng, s, s - t.total, this.cum, this.guide);
  }
}

let primed = false;

/**
 * Runs the fills and the ziggurat's rare paths on scratch data (a stream of their own) before a thread's first real
 * draw, so that V8 has type feedback for all of each when it compiles the draws. A real draw's loops run thousands of
 * times, so V8 compiles them while in the loop on their first call (on-stack replacement), before code that is rare
 * or comes after the loop has recorded any feedback (V8 records it only once a function has run a few times its own
 * size: lazy feedback allocation), and throws that code away when such a line is reached:
 *   - the fills' stores of the generator's state after their loop: thrown away up to 20 times a thread, and in 3 of
 *     36 cold processes at nearly every draw (471 times in 1,000 rounds, those rounds 15-25% slower); primed, in
 *     none of 30;
 *   - the normal draws at the first draw from the base layer's tail (about 0.06% of draws, 5 a round), inlined
 *     there: compiled three times a thread instead of twice.
 * No real draw changes. (Priming the normal and small-mean loops themselves did not change how often V8 compiled them.)
 */
function primeDraws(t: SamplerTables): void {
  if (primed) return;
  primed = true;
  const rng = streamUniform(0, 0);
  const out = new Float64Array(t.aliasProb.length);
  for (let i = 0; i < PRIME_CALLS; i++) fillMissing(out, rng, PRIME_FILLS, t.aliasProb, t.alias);
  // The normal draws' rare paths (the base layer's tail in about 0.06% of draws, the wedges in 1.1%), which V8 inlines
  // there: unprimed, the tail's first draw threw the compiled normal draws away, and they were compiled twice more.
  for (let i = 0; i < PRIME_SLOW; i++) {
    zigguratSlow(rng, ZIG_EDGE, 0);
    zigguratSlow(rng, ZIG_EDGE, 1 + (i % 127));
  }
}
const PRIME_CALLS = 12;
const PRIME_FILLS = 64;
const PRIME_SLOW = 64;
/** An abscissa beyond the fast test of every layer (the top of the signed 25 bits). */
const ZIG_EDGE = 2 ** 24 - 1;

/** Poisson draws through the normal for cells with mean >= POISSON_NORMAL_MIN; returns their sum. */
function drawNormalCells(
  out: Float64Array,
  rng: FastUniform,
  normalCell: Int32Array,
  cfShift: Float64Array,
  cfScale: Float64Array,
  cfCubic: Float64Array,
): number {
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
  rng.a = sa;
  rng.b = sb;
  rng.c = sc;
  rng.d = sd;
  return s;
}

/** Poisson draws by inversion for cells with 0 < mean < POISSON_NORMAL_MIN (see `smallCdfTable`); returns their sum. */
function drawSmallCells(
  out: Float64Array,
  rng: FastUniform,
  smallCell: Int32Array,
  smallStart: Int32Array,
  smallCdf: Float64Array,
  smallGuide: Int32Array,
): number {
  // Module bindings read once (see drawNormalCells).
  const guideWidth = SMALL_GUIDE;
  const guideShift = 32 - SMALL_GUIDE_BITS;
  let sa = rng.a;
  let sb = rng.b;
  let sc = rng.c;
  let sd = rng.d;
  let s = 0;
  for (let i = 0; i < smallCell.length; i++) {
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
    // X = the smallest k with u < F(k), searched from the guide entry of u's slice (its top SMALL_GUIDE_BITS bits).
    let at = smallGuide[i * guideWidth + (r >>> guideShift)] as number;
    while (u >= (smallCdf[at] as number)) at++;
    const k = at - (smallStart[i] as number);
    out[smallCell[i] as number] = k;
    s += k;
  }
  rng.a = sa;
  rng.b = sb;
  rng.c = sc;
  rng.d = sd;
  return s;
}

/** Adds `missing` single categorical draws (alias table): Multinomial(missing, p) on top of `out`. */
function fillMissing(
  out: Float64Array,
  rng: FastUniform,
  missing: number,
  aliasProb: Float64Array,
  alias: Int32Array,
): void {
  const n = out.length;
  let sa = rng.a;
  let sb = rng.b;
  let sc = rng.c;
  let sd = rng.d;
  for (let left = missing; left > 0; left--) {
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
  rng.a = sa;
  rng.b = sb;
  rng.c = sc;
  rng.d = sd;
}

/**
 * Removes `excess` of the `s` drawn trials in `out`, uniformly without replacement: number the trials 0..s-1 cell by
 * cell (cum), draw a number uniformly, and remove that trial if it is still there. A cell's removed trials are
 * taken to be its last ones (they are exchangeable), so trial o of cell c is still there while o < out[c]; a number
 * that hits a removed trial is drawn again (rare: under s / total - 1).
 */
function removeExcess(
  out: Float64Array,
  rng: FastUniform,
  s: number,
  excess: number,
  cum: Float64Array,
  guide: Int32Array,
): void {
  const n = out.length;
  numberTrials(out, s, cum, guide);
  let sa = rng.a;
  let sb = rng.b;
  let sc = rng.c;
  let sd = rng.d;
  // Uniform integers below s by rejection of the top partial block of 2^32 (exact).
  const limit = Math.floor(4294967296 / s) * s;
  for (let left = excess; left > 0; ) {
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
  rng.a = sa;
  rng.b = sb;
  rng.c = sc;
  rng.d = sd;
}

/**
 * Numbers the `s` trials of `out` cell by cell (cum: each cell's first) and builds Chen and Asau's guide table over
 * them: guide[g] is the first cell whose range reaches past g s / n, so finding a trial's cell is a step or two from
 * there instead of a binary search (whose unpredictable branches cost more than the rest of the removal). A function
 * of its own: V8 compiles a function while in its first long loop, and compiled here, the removal's code after these
 * loops had no type feedback yet and was thrown away when reached (4-8 compilations of the removal per process, now
 * 2-3, and 3-6 of this smaller function).
 */
function numberTrials(out: Float64Array, s: number, cum: Float64Array, guide: Int32Array): void {
  const n = out.length;
  cum[0] = 0;
  for (let c = 0; c < n; c++) cum[c + 1] = (cum[c] as number) + (out[c] as number);
  for (let g = 0, c = 0; g < n; g++) {
    const threshold = (g * s) / n;
    while ((cum[c + 1] as number) <= threshold) c++;
    guide[g] = c;
  }
}

const TWO_M32 = 2 ** -32;
