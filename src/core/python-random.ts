/**
 * Python's `random.Random`, bit for bit, for the parts lm-eval's prompts depend on: seeding from an int
 * (`init_by_array` over the seed's 32-bit words, as CPython's `random_seed` does), `random()`,
 * `getrandbits(k)`, `_randbelow` (rejection sampling over `getrandbits(k)`), `randrange`, `sample` (both of
 * its algorithms, chosen by the same set-size rule) and `shuffle`. Few-shot examples drawn by
 * `random.Random(1234).sample(pool, k)` then pick the same rows as lm-eval does.
 *
 * Only non-negative integer seeds are supported (CPython hashes other seeds with sha512 or uses abs()).
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class PythonRandom {
  private readonly mt = new Uint32Array(N);
  private mti = N + 1;

  constructor(seed: number | bigint = 0) {
    this.seed(seed);
  }

  /** `random.getstate()[1]`: the 624 state words and the position, as Python's `(3, (*mt, pos), None)` holds them. */
  getState(): number[] {
    return [...this.mt, this.mti];
  }

  /** `random.setstate((3, state, None))` with a state from `getState()` or Python's `getstate()[1]`. */
  setState(state: readonly number[]): void {
    if (state.length !== N + 1 || !state.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) {
      throw new RangeError(`setState: expected ${N + 1} unsigned 32-bit integers`);
    }
    this.mt.set(state.slice(0, N));
    const pos = state[N] as number;
    if (pos > N) throw new RangeError(`setState: position ${pos} out of range`);
    this.mti = pos;
  }

  /** `random.seed(n)` for an int n >= 0. */
  seed(seed: number | bigint): void {
    let n = BigInt(seed);
    if (n < 0n) n = -n; // CPython: abs() of a negative int seed
    const key: number[] = [];
    while (n > 0n) {
      key.push(Number(n & 0xffffffffn));
      n >>= 32n;
    }
    if (key.length === 0) key.push(0);
    this.initByArray(key);
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] as number;
      const x = prev ^ (prev >>> 30);
      // 1812433253 * x + i, in 32-bit arithmetic without losing precision.
      mt[i] = (((((x & 0xffff0000) >>> 16) * 1812433253) << 16) + (x & 0x0000ffff) * 1812433253 + i) >>> 0;
    }
    this.mti = N;
  }

  private initByArray(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1] as number;
      const x = prev ^ (prev >>> 30);
      const mul = (((((x & 0xffff0000) >>> 16) * 1664525) << 16) + (x & 0x0000ffff) * 1664525) >>> 0;
      mt[i] = (((mt[i] as number) ^ mul) + (key[j] as number) + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1] as number;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1] as number;
      const x = prev ^ (prev >>> 30);
      const mul = (((((x & 0xffff0000) >>> 16) * 1566083941) << 16) + (x & 0x0000ffff) * 1566083941) >>> 0;
      mt[i] = (((mt[i] as number) ^ mul) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1] as number;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  /** One 32-bit output of MT19937 (genrand_uint32). */
  nextUint32(): number {
    const mt = this.mt;
    if (this.mti >= N) {
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = ((mt[kk] as number) & UPPER_MASK) | ((mt[kk + 1] as number) & LOWER_MASK);
        mt[kk] = ((mt[kk + M] as number) ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0)) >>> 0;
      }
      for (; kk < N - 1; kk++) {
        const y = ((mt[kk] as number) & UPPER_MASK) | ((mt[kk + 1] as number) & LOWER_MASK);
        mt[kk] = ((mt[kk + (M - N)] as number) ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0)) >>> 0;
      }
      const y = ((mt[N - 1] as number) & UPPER_MASK) | ((mt[0] as number) & LOWER_MASK);
      mt[N - 1] = ((mt[M - 1] as number) ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0)) >>> 0;
      this.mti = 0;
    }
    let y = mt[this.mti++] as number;
    y ^= y >>> 11;
    y = (y ^ ((y << 7) & 0x9d2c5680)) >>> 0;
    y = (y ^ ((y << 15) & 0xefc60000)) >>> 0;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `random.random()`: 53 random bits in [0, 1). */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** `random.getrandbits(k)` for 0 <= k <= 53 (words are consumed low word first, as CPython does). */
  getrandbits(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k > 53) throw new RangeError(`getrandbits: k must be in 0..53, got ${k}`);
    if (k === 0) return 0;
    if (k <= 32) return this.nextUint32() >>> (32 - k);
    const low = this.nextUint32();
    const high = this.nextUint32() >>> (64 - k);
    return high * 4294967296 + low;
  }

  /** `random._randbelow(n)` (the getrandbits variant CPython uses): uniform in [0, n). */
  randbelow(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`randbelow: n must be a positive integer, got ${n}`);
    const k = bitLength(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** `random.randrange(start, stop)` with step 1 (or `randrange(stop)` when stop is omitted). */
  randrange(start: number, stop?: number): number {
    if (stop === undefined) return this.randbelow(start);
    const width = stop - start;
    if (width <= 0) throw new RangeError(`randrange: empty range (${start}, ${stop})`);
    return start + this.randbelow(width);
  }

  /** `random.randint(a, b)`: inclusive of both ends. */
  randint(a: number, b: number): number {
    return this.randrange(a, b + 1);
  }

  /** `random.choice(seq)`. */
  choice<T>(seq: readonly T[]): T {
    if (seq.length === 0) throw new RangeError("choice: empty sequence");
    return seq[this.randbelow(seq.length)] as T;
  }

  /** `random.shuffle(x)` in place (Fisher-Yates from the end, as CPython). */
  shuffle<T>(x: T[]): T[] {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      const t = x[i] as T;
      x[i] = x[j] as T;
      x[j] = t;
    }
    return x;
  }

  /**
   * `random.sample(population, k)`: k distinct elements in selection order. CPython picks a pool copy for small
   * samples and a set of selected indices otherwise, by the same size rule; both are reproduced.
   */
  sample<T>(population: readonly T[], k: number): T[] {
    const n = population.length;
    if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError("Sample larger than population or is negative");
    const result: T[] = new Array(k);
    let setsize = 21;
    if (k > 5) setsize += 4 ** Math.ceil(Math.log(k * 3) / Math.log(4));
    if (n <= setsize) {
      const pool = population.slice();
      for (let i = 0; i < k; i++) {
        const j = this.randbelow(n - i);
        result[i] = pool[j] as T;
        pool[j] = pool[n - i - 1] as T;
      }
    } else {
      const selected = new Set<number>();
      for (let i = 0; i < k; i++) {
        let j = this.randbelow(n);
        while (selected.has(j)) j = this.randbelow(n);
        selected.add(j);
        result[i] = population[j] as T;
      }
    }
    return result;
  }
}

function bitLength(n: number): number {
  let k = 0;
  let v = n;
  while (v >= 1) {
    k++;
    v = Math.floor(v / 2);
  }
  return k;
}
