import type { FastUniform } from "./binomial.ts";

/**
 * Standard normal deviates by Marsaglia and Tsang's ziggurat (2000), 128 layers: one 32-bit word gives the layer
 * (its low 7 bits) and a signed 25-bit abscissa (the other 25, so the two do not share bits), and about 98.8% of
 * draws end there with one multiply and one compare, no logarithm or square root. The rest go to `zigguratSlow`.
 * Exact in distribution up to the 2^-24 grid of the abscissa.
 */

/** Abscissa units per word: the 25 high bits, signed, span [-2^24, 2^24). */
const M = 2 ** 24;
/** Right edge of the base layer, and each layer's area (Marsaglia and Tsang's constants for 128 layers). */
const R = 3.442619855899;
const V = 9.91256303526217e-3;

/** |j| < ZIG_K[layer] accepts j * ZIG_W[layer] at once; ZIG_F is the density at each layer's edge. */
export const ZIG_K = new Float64Array(128);
export const ZIG_W = new Float64Array(128);
const ZIG_F = new Float64Array(128);
{
  let dn = R;
  let tn = dn;
  const q = V / Math.exp(-0.5 * dn * dn);
  ZIG_K[0] = (dn / q) * M;
  ZIG_K[1] = 0;
  ZIG_W[0] = q / M;
  ZIG_W[127] = dn / M;
  ZIG_F[0] = 1;
  ZIG_F[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(V / dn + Math.exp(-0.5 * dn * dn)));
    ZIG_K[i + 1] = (dn / tn) * M;
    tn = dn;
    ZIG_F[i] = Math.exp(-0.5 * dn * dn);
    ZIG_W[i] = dn / M;
  }
}

/** The abscissa word of a 32-bit draw `r`, and its layer. */
export function zigLayer(r: number): number {
  return r & 127;
}
export function zigAbscissa(r: number): number {
  return (r | 0) >> 7;
}

/**
 * The ziggurat's rare path for a word (abscissa `j`, `layer`) that missed the fast test: the base layer's tail
 * beyond R by Marsaglia's exponential method, or the wedge test against the density; further words from `rng`.
 */
export function zigguratSlow(rng: FastUniform, j0: number, layer0: number): number {
  let j = j0;
  let iz = layer0;
  for (;;) {
    let x = j * (ZIG_W[iz] as number);
    if (iz === 0) {
      let y: number;
      do {
        x = -Math.log(1 - rng.next()) / R;
        y = -Math.log(1 - rng.next());
      } while (y + y < x * x);
      return j > 0 ? R + x : -R - x;
    }
    const f1 = ZIG_F[iz] as number;
    if (f1 + rng.next() * ((ZIG_F[iz - 1] as number) - f1) < Math.exp(-0.5 * x * x)) return x;
    const r = Math.floor(rng.next() * 4294967296);
    iz = zigLayer(r);
    j = zigAbscissa(r);
    if (Math.abs(j) < (ZIG_K[iz] as number)) return j * (ZIG_W[iz] as number);
  }
}

/** One N(0, 1) draw (tests and callers outside hot loops; MultinomialSampler inlines the fast path). */
export function normalDeviate(rng: FastUniform): number {
  const r = Math.floor(rng.next() * 4294967296);
  const iz = zigLayer(r);
  const j = zigAbscissa(r);
  if (Math.abs(j) < (ZIG_K[iz] as number)) return j * (ZIG_W[iz] as number);
  return zigguratSlow(rng, j, iz);
}
