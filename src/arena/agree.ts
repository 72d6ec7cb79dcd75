import { ModelmapError } from "../core/errors.ts";
import type { Vote } from "../core/votes.ts";
import { cohenKappa, kendallTauB, spearman } from "../stats/agreement.ts";
import { DEFAULT_PRIOR_RIDGE } from "../stats/bootstrap.ts";
import { fitBradleyTerry, toRatings } from "../stats/bradley-terry.ts";
import { checkExistence } from "../stats/graph.ts";
import { aggregateVotes, toPairTable } from "./aggregate.ts";

/**
 * Agreement between two vote sources on the same items. Items match on (prompt id, unordered model pair);
 * when a source has several votes on one item they pair up in file order. Verdicts are compared in one
 * orientation (the pair sorted by name): first wins, second wins, tie (both tie kinds).
 */
export const AGREE_LABELS = ["first", "second", "tie"] as const;

export interface AgreementReport {
  matched: number;
  unmatched_a: number;
  unmatched_b: number;
  /** Share of matched items with the same verdict (ties count as a verdict). */
  agreement: number;
  /** Among items both called decisively, share with the same winner. */
  agreement_decisive: number;
  both_decisive: number;
  kappa: number;
  /** rows: A's verdict, columns: B's verdict, in AGREE_LABELS order. */
  confusion: number[][];
  leaderboard: {
    models: string[];
    rating_a: number[];
    rating_b: number[];
    spearman: number;
    kendall: number;
  };
}

type Label = 0 | 1 | 2;

function keyed(votes: Vote[]): Map<string, Label[]> {
  const out = new Map<string, Label[]>();
  for (const v of votes) {
    if (v.promptId === undefined) continue;
    const flipped = v.modelA > v.modelB;
    const [x, y] = flipped ? [v.modelB, v.modelA] : [v.modelA, v.modelB];
    let label: Label = 2;
    if (v.winner === "model_a") label = flipped ? 1 : 0;
    else if (v.winner === "model_b") label = flipped ? 0 : 1;
    const key = `${v.promptId}\u0000${x}\u0000${y}`;
    const list = out.get(key);
    if (list) list.push(label);
    else out.set(key, [label]);
  }
  return out;
}

export function agreement(a: Vote[], b: Vote[]): AgreementReport {
  const ka = keyed(a);
  const kb = keyed(b);
  const confusion = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  const matchedA: Vote[] = [];
  const matchedB: Vote[] = [];
  let matched = 0;
  for (const [key, la] of ka) {
    const lb = kb.get(key);
    if (!lb) continue;
    const [pid, x, y] = key.split("\u0000") as [string, string, string];
    const n = Math.min(la.length, lb.length);
    for (let q = 0; q < n; q++) {
      const va = la[q]!;
      const vb = lb[q]!;
      confusion[va]![vb]!++;
      matched++;
      const toVote = (l: Label): Vote => ({
        promptId: pid,
        modelA: x,
        modelB: y,
        winner: l === 0 ? "model_a" : l === 1 ? "model_b" : "tie",
      });
      matchedA.push(toVote(va));
      matchedB.push(toVote(vb));
    }
  }
  if (matched === 0) {
    throw new ModelmapError("input", "the two vote sets share no items", {
      hint: "items match on question_id/prompt_id and the model pair; both sources need prompt ids",
    });
  }
  const same = confusion[0]![0]! + confusion[1]![1]! + confusion[2]![2]!;
  const bothDecisive = confusion[0]![0]! + confusion[0]![1]! + confusion[1]![0]! + confusion[1]![1]!;
  const la = ratingsOf(matchedA);
  const lb = ratingsOf(matchedB);
  const models = la.models.filter((m) => lb.index.has(m));
  const ra = models.map((m) => la.ratings[la.index.get(m)!] as number);
  const rb = models.map((m) => lb.ratings[lb.index.get(m)!] as number);
  return {
    matched,
    unmatched_a: a.length - matched,
    unmatched_b: b.length - matched,
    agreement: same / matched,
    agreement_decisive: bothDecisive ? (confusion[0]![0]! + confusion[1]![1]!) / bothDecisive : Number.NaN,
    both_decisive: bothDecisive,
    kappa: cohenKappa(confusion.flat(), 3),
    confusion,
    leaderboard: { models, rating_a: ra, rating_b: rb, spearman: spearman(ra, rb), kendall: kendallTauB(ra, rb) },
  };
}

function ratingsOf(votes: Vote[]): { models: string[]; index: Map<string, number>; ratings: Float64Array } {
  const counts = aggregateVotes(votes);
  const t = toPairTable(counts);
  const ridge = checkExistence(t).mleExists ? 0 : DEFAULT_PRIOR_RIDGE;
  const fit = fitBradleyTerry(t, { ridge });
  return {
    models: counts.models,
    index: new Map(counts.models.map((m, i) => [m, i])),
    ratings: toRatings(fit.params, counts.models.length),
  };
}
