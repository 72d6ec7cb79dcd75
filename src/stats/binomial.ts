import type { Rng } from "../core/rng.ts";

/**
 * Exact binomial and multinomial sampling, so that the bootstrap can resample aggregated outcome cells
 * (one draw per cell) instead of millions of battle rows. Large means use BTRS, Hormann's transformed
 * rejection with squeeze (1993), which costs O(1) per draw; small means use sequential inversion (BINV).
 */

/** Anything with a uniform [0, 1) `next()`: an Rng or a FastUniform derived from one. */
export interface Uniform {
  next(): number;
}

/**
 * xoshiro128** with its state in object fields, seeded from an injected Rng. The bootstrap draws about 20,000
 * uniforms per round; the closure-based core Rng costs several times more per draw than this. The stream is
 * a pure function of the parent Rng's state, so the same seed still gives the same bootstrap.
 */
export class FastUniform implements Uniform {
  /** xoshiro128** state; public so hot loops can run the generator in local variables (see MultinomialSampler). */
  a: number;
  b: number;
  c: number;
  d: number;

  constructor(parent: Pick<Rng, "int">) {
    this.a = parent.int(4294967296) | 0;
    this.b = parent.int(4294967296) | 0;
    this.c = parent.int(4294967296) | 0;
    this.d = parent.int(4294967296) | 1;
  }

  next(): number {
    const b = this.b;
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    this.c ^= this.a;
    this.d ^= b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result / 4294967296;
  }
}

/**
 * The uniform stream of one numbered sub-stream (e.g. one bootstrap round) of `seed`: streams are independent
 * of each other and of the order they are used in, so rounds can run on any number of threads and give the
 * same result.
 */
export function streamUniform(seed: number, stream: number): FastUniform {
  // splitmix32 started from a hash of (seed, stream).
  let s = mix32((seed >>> 0) ^ mix32((stream + 0x9e3779b9) >>> 0));
  return new FastUniform({
    int: () => {
      s = (s + 0x9e3779b9) >>> 0;
      return mix32(s);
    },
  });
}

function mix32(x: number): number {
  let z = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

const STIRLING_TAIL = [
  0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509, 0.0166446911898211,
  0.0138761288230707, 0.0118967099458917, 0.010411265261972, 0.00925546218271273, 0.00833056343336287,
];

function stirlingTail(k: number): number {
  if (k <= 9) return STIRLING_TAIL[k] as number;
  const kp1sq = (k + 1) * (k + 1);
  return (1 / 12 - (1 / 360 - 1 / 1260 / kp1sq) / kp1sq) / (k + 1);
}

function inversion(n: number, p: number, rng: Uniform): number {
  // BINV: walk the pmf from 0 with one uniform; about n*p + 1 steps, used only when n*p < 10.
  const q = 1 - p;
  const s = p / q;
  const a = (n + 1) * s;
  for (;;) {
    let r = Math.exp(n * Math.log1p(-p));
    let u = rng.next();
    let x = 0;
    while (u > r) {
      u -= r;
      x++;
      if (x > n) break;
      r *= a / x - s;
    }
    if (x <= n) return x;
    // Rounding left u above the total mass: draw again (rare).
  }
}

function btrs(n: number, p: number, rng: Uniform): number {
  const spq = Math.sqrt(n * p * (1 - p));
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const twoA = 2 * a;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  for (;;) {
    const u = rng.next() - 0.5;
    const v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor((twoA / us + b) * u + c);
    if (k < 0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return k;
    if (acceptSlow(n, p, k, a, b, spq, us, v)) return k;
  }
}

/** The exact acceptance test of BTRS, taken for roughly one draw in ten; kept apart so the fast path stays small. */
function acceptSlow(
  n: number,
  p: number,
  k: number,
  a: number,
  b: number,
  spq: number,
  us: number,
  v0: number,
): boolean {
  const r = p / (1 - p);
  const alpha = (2.83 + 5.1 / b) * spq;
  const m = Math.floor((n + 1) * p);
  const v = Math.log((v0 * alpha) / (a / (us * us) + b));
  const bound =
    (m + 0.5) * Math.log((m + 1) / (r * (n - m + 1))) +
    (n + 1) * Math.log((n - m + 1) / (n - k + 1)) +
    (k + 0.5) * Math.log((r * (n - k + 1)) / (k + 1)) +
    stirlingTail(m) +
    stirlingTail(n - m) -
    stirlingTail(k) -
    stirlingTail(n - k);
  return v <= bound;
}

/** One Binomial(n, p) draw; n a non-negative integer. */
export function sampleBinomial(n: number, p: number, rng: Uniform): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - sampleBinomial(n, 1 - p, rng);
  if (n * p < 10) return inversion(n, p, rng);
  return btrs(n, p, rng);
}

/**
 * Multinomial(total, probs) into `out` by conditional binomials: cell c gets Binomial(remaining,
 * p_c / remaining mass). `probs` need not be normalized.
 */
export function sampleMultinomial(total: number, probs: Float64Array, out: Float64Array, rng: Uniform): void {
  let mass = 0;
  for (let c = 0; c < probs.length; c++) mass += probs[c] as number;
  let left = total;
  for (let c = 0; c < probs.length; c++) {
    const pc = probs[c] as number;
    if (left <= 0 || pc <= 0) {
      out[c] = 0;
      mass -= pc;
      continue;
    }
    const cond = mass <= pc ? 1 : pc / mass;
    const x = sampleBinomial(left, cond, rng);
    out[c] = x;
    left -= x;
    mass -= pc;
  }
}
