/**
 * The items of one model pair grouped by load (times assigned), each group in the pair's item order, so that the
 * next assignment's item (uniform among the least-loaded items the labeler has not seen) is found without reading
 * every item's load. Scanning the pair's items cost about 7% of a labeling server's CPU with 400 items a pair,
 * and grows with the prompt set; here a pick reads the few least-loaded groups, and a change of load moves one id
 * between two sorted arrays.
 */
export class PairLoads {
  /** id -> its place in the pair's item order. */
  readonly #order = new Map<number, number>();
  readonly #load = new Map<number, number>();
  /** levels[l]: the ids with load l, in item order (holes for loads no item has). */
  readonly #levels: number[][] = [];

  /** `ids` in the pair's item order; `load` gives each one's times assigned so far. */
  constructor(ids: readonly number[], load: (id: number) => number) {
    for (const [i, id] of ids.entries()) {
      this.#order.set(id, i);
      const l = Math.max(0, load(id));
      this.#load.set(id, l);
      this.#level(l).push(id);
    }
  }

  /** Adds `d` to the item's load (an assignment made, or taken back when the store refused it). */
  add(id: number, d: number): void {
    const from = this.#load.get(id);
    if (from === undefined || d === 0) return;
    const to = Math.max(0, from + d);
    this.#load.set(id, to);
    const a = this.#levels[from] as number[];
    a.splice(this.#find(a, id), 1);
    const b = this.#level(to);
    b.splice(this.#find(b, id), 0, id);
  }

  /**
   * The item the old scan chose: among the unseen items of least load, in item order, the one at `pick(n)` (n of
   * them; `pick` is called once, only when there is one). Undefined when the labeler has seen every item.
   */
  leastLoaded(seen: ReadonlySet<number>, pick: (n: number) => number): number | undefined {
    for (const [l, level] of this.#levels.entries()) {
      if (level === undefined || level.length === 0) continue;
      // Where the seen items of this level stand in it, in order: the unseen ones are the rest.
      const skip: number[] = [];
      for (const id of seen) if (this.#load.get(id) === l) skip.push(this.#find(level, id));
      if (skip.length === level.length) continue;
      skip.sort((x, y) => x - y);
      let at = pick(level.length - skip.length);
      for (const s of skip) if (s <= at) at++;
      return level[at];
    }
    return undefined;
  }

  #level(l: number): number[] {
    let level = this.#levels[l];
    if (level === undefined) {
      level = [];
      this.#levels[l] = level;
    }
    return level;
  }

  /** The index of `id` in `level` (ids in item order), or where it would go. */
  #find(level: number[], id: number): number {
    const key = this.#order.get(id) as number;
    let lo = 0;
    let hi = level.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#order.get(level[mid] as number) as number) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
