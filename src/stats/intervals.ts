/**
 * Ranks and tiers from intervals, the way arena leaderboards are read.
 *
 * Rank: 1 + the number of models whose lower bound is strictly above this model's upper bound (so models
 * that cannot be told apart share a rank, and ranks can repeat).
 *
 * Tiers: walk the models from the highest rating down; the first model opens tier 1 and is its leader; a
 * model stays in the current tier while its upper bound reaches the leader's lower bound (its interval
 * overlaps the leader's), otherwise it opens the next tier and leads it. So every member of a tier is
 * indistinguishable from the tier's leader, and each tier's leader is separated from the tier above's.
 */
export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
}

export function ranksFromIntervals(items: ReadonlyArray<Interval>): number[] {
  // Lower bounds sorted ascending: the models above an upper bound are a suffix, found by binary search, so a
  // board of thousands of models ranks in O(n log n) rather than comparing every pair.
  const lowers = Float64Array.from(items, (it) => it.lower)
    .filter((x) => !Number.isNaN(x))
    .sort();
  return items.map((me) => {
    let lo = 0;
    let hi = lowers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((lowers[mid] as number) > me.upper) hi = mid;
      else lo = mid + 1;
    }
    return 1 + lowers.length - lo;
  });
}

export function tiersFromIntervals(items: ReadonlyArray<Interval>): number[] {
  const order = items.map((_, idx) => idx).sort((a, b) => items[b]!.estimate - items[a]!.estimate);
  const tiers = new Array<number>(items.length).fill(0);
  let tier = 0;
  let leader: Interval | undefined;
  for (const idx of order) {
    const it = items[idx]!;
    if (!leader || it.upper < leader.lower) {
      tier++;
      leader = it;
    }
    tiers[idx] = tier;
  }
  return tiers;
}
