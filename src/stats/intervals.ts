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
  return items.map((me) => 1 + items.reduce((n, other) => n + (other.lower > me.upper ? 1 : 0), 0));
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
