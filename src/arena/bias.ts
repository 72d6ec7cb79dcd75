import type { Vote } from "../core/votes.ts";
import { fitPairwiseLogit, scoreAndInformation } from "../stats/bradley-terry.ts";
import { choleskyInPlace, choleskySolveInPlace } from "../stats/linalg.ts";
import { binomialTestPValue, wilsonInterval } from "../stats/proportion.ts";
import { normalQuantile } from "../stats/special.ts";

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
  /**
   * First-position win probability between two equally strong models: Bradley-Terry with a first-position
   * covariate, so a strong model that happened to be shown first more often does not look like bias.
   * Null when no model pair was seen in both orders (then position and model cannot be told apart).
   */
  strength_adjusted: { rate: number; ci_lower: number; ci_upper: number } | null;
}

export function positionBias(
  groups: Array<{ group: string; votes: Vote[] }>,
  level = 0.95,
  /** Ignore the votes' judge field and keep the given groups as they are. */
  pooled = false,
): BiasRow[] {
  const byGroup = new Map<
    string,
    { votes: number; decisive: number; first: number; ties: number; unknown: number; decisiveVotes: Vote[] }
  >();
  for (const g of groups) {
    for (const v of g.votes) {
      const key = pooled ? g.group : (v.judge ?? g.group);
      let s = byGroup.get(key);
      if (!s) {
        s = { votes: 0, decisive: 0, first: 0, ties: 0, unknown: 0, decisiveVotes: [] };
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
      s.decisiveVotes.push(v);
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
      strength_adjusted: adjustedFirstRate(s.decisiveVotes, level),
    };
  });
}

/** Bradley-Terry with a constant first-position term beta: P(first wins) = sigmoid(theta_f - theta_s + beta). */
export function adjustedFirstRate(votes: Vote[], level = 0.95): BiasRow["strength_adjusted"] {
  const names = new Map<string, number>();
  const id = (m: string) => {
    let x = names.get(m);
    if (x === undefined) {
      x = names.size;
      names.set(m, x);
    }
    return x;
  };
  // Aggregate decisive votes by ordered (first, second) pair.
  const cells = new Map<string, { f: number; s: number; back: string; n: number; y: number }>();
  for (const v of votes) {
    const first = v.shownFirst === "model_b" ? v.modelB : v.modelA;
    const second = v.shownFirst === "model_b" ? v.modelA : v.modelB;
    const key = `${first}\u0000${second}`;
    let c = cells.get(key);
    if (!c) {
      c = { f: id(first), s: id(second), back: `${second}\u0000${first}`, n: 0, y: 0 };
      cells.set(key, c);
    }
    c.n++;
    if (v.winner === v.shownFirst) c.y++;
  }
  const both = [...cells.values()].some((c) => cells.has(c.back));
  if (!both) return null;
  const rows = [...cells.values()];
  const k = names.size;
  const design = {
    k,
    i: Int32Array.from(rows, (c) => c.f),
    j: Int32Array.from(rows, (c) => c.s),
    n: Float64Array.from(rows, (c) => c.n),
    y: Float64Array.from(rows, (c) => c.y),
    p: 1,
    z: new Float64Array(rows.length).fill(1),
  };
  // A small ridge keeps strengths finite when some model won or lost every decisive vote; beta is unpenalized.
  const ridge = 1e-3;
  const fit = fitPairwiseLogit(design, { ridge });
  if (!fit.converged) return null;
  const dim = k + 1;
  const h = new Float64Array(dim * dim);
  scoreAndInformation(design, fit.params, ridge, new Float64Array(dim), h);
  if (!choleskyInPlace(h, dim)) return null;
  const e = new Float64Array(dim);
  e[k] = 1;
  choleskySolveInPlace(h, dim, e);
  const beta = fit.params[k] as number;
  const se = Math.sqrt(e[k] as number);
  const z = normalQuantile(1 - (1 - level) / 2);
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  return { rate: sig(beta), ci_lower: sig(beta - z * se), ci_upper: sig(beta + z * se) };
}
