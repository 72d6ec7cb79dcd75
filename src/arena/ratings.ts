/**
 * Ratings per category from pairwise votes: the form in which other rooms (the capability map, npm start)
 * take arena ratings. Every category is fitted on its own by `rankCounts` (Bradley-Terry with a seeded
 * bootstrap); votes without a category count as "chat".
 */
import type { PairCounts, Vote } from "../core/votes.ts";
import { aggregateVotes } from "./aggregate.ts";
import { rankCounts } from "./rank.ts";

export interface RatingOptions {
  /** Bootstrap rounds for the intervals (default 200). */
  bootstrap?: number | undefined;
  /** Bootstrap seed (default 1). */
  seed?: number | undefined;
}

export interface RatedModel {
  model: string;
  rating: number;
  lo: number;
  hi: number;
  votes: number;
}

export interface CategoryRatings {
  category: string;
  models: RatedModel[];
  /** The fit's warnings, each prefixed with the category. */
  warnings: string[];
}

/** One category's pairwise counts fitted by the ratings engine. */
export function ratingsOfCounts(counts: PairCounts, category: string, opts: RatingOptions = {}): CategoryRatings {
  const report = rankCounts(counts, { bootstrap: opts.bootstrap ?? 200, seed: opts.seed ?? 1 });
  return {
    category,
    models: report.models.map((m) => ({
      model: m.model,
      rating: m.rating,
      lo: m.ci_lower,
      hi: m.ci_upper,
      votes: m.battles,
    })),
    warnings: report.warnings.map((w) => `${category}: ${w}`),
  };
}

/** Votes grouped by category (sorted by name) and counted: all a per-category fit depends on. */
export function countsByCategory(votes: Iterable<Vote>): Array<{ category: string; counts: PairCounts }> {
  const byCategory = new Map<string, Vote[]>();
  for (const v of votes) {
    const c = v.category ?? "chat";
    const list = byCategory.get(c);
    if (list) list.push(v);
    else byCategory.set(c, [v]);
  }
  return [...byCategory]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([category, list]) => ({ category, counts: aggregateVotes(list) }));
}

/** Per-category counts fitted; a category with fewer than two models is left out. */
export function fitCategoryCounts(
  groups: Array<{ category: string; counts: PairCounts }>,
  opts: RatingOptions = {},
): CategoryRatings[] {
  return groups.filter((g) => g.counts.models.length >= 2).map((g) => ratingsOfCounts(g.counts, g.category, opts));
}

/** Votes grouped by category (sorted by name), each fitted; a category with fewer than two models is left out. */
export function ratingsByCategory(votes: Iterable<Vote>, opts: RatingOptions = {}): CategoryRatings[] {
  return fitCategoryCounts(countsByCategory(votes), opts);
}
