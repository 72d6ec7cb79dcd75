import type { Vote } from "../core/votes.ts";
import { binomialTestPValue, wilsonInterval } from "../stats/proportion.ts";

/**
 * Position bias: among decisive votes whose shown order is known, how often the model shown first won.
 * 0.5 is no bias. Grouped per judge (or per source/file when votes carry no judge).
 */
export interface BiasRow {
  group: string;
  votes: number;
  /** Votes with a known order and a decisive verdict. */
  decisive: number;
  first_wins: number;
  first_win_rate: number;
  ci_lower: number;
  ci_upper: number;
  /** Two-sided p-value for "no position bias" (rate = 0.5). */
  p_value: number;
  ties: number;
  /** Votes whose shown order is unknown (skipped). */
  unknown_order: number;
}

export function positionBias(groups: Array<{ group: string; votes: Vote[] }>, level = 0.95): BiasRow[] {
  const byGroup = new Map<string, { votes: number; decisive: number; first: number; ties: number; unknown: number }>();
  for (const g of groups) {
    for (const v of g.votes) {
      const key = v.judge ?? g.group;
      let s = byGroup.get(key);
      if (!s) {
        s = { votes: 0, decisive: 0, first: 0, ties: 0, unknown: 0 };
        byGroup.set(key, s);
      }
      s.votes++;
      if (!v.shownFirst) {
        s.unknown++;
        continue;
      }
      if (v.winner === "tie" || v.winner === "tie_bothbad") {
        s.ties++;
        continue;
      }
      s.decisive++;
      if (v.winner === v.shownFirst) s.first++;
    }
  }
  return [...byGroup.entries()].map(([group, s]) => {
    const ci = wilsonInterval(s.first, s.decisive, level);
    return {
      group,
      votes: s.votes,
      decisive: s.decisive,
      first_wins: s.first,
      first_win_rate: s.decisive ? s.first / s.decisive : Number.NaN,
      ci_lower: ci.lower,
      ci_upper: ci.upper,
      p_value: binomialTestPValue(s.first, s.decisive),
      ties: s.ties,
      unknown_order: s.unknown,
    };
  });
}
