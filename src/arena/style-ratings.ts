import { ModelmapError } from "../core/errors.ts";
import { collect } from "../core/iter.ts";
import { createRng } from "../core/rng.ts";
import type { Vote } from "../core/votes.ts";
import { RATING_SCALE } from "../stats/bradley-terry.ts";
import { fitStyleControl, type StyledBattle } from "../stats/style-control.ts";
import type { AnswerRecord } from "../store/judging.ts";
import type { Store, StoredVote, VoteQuery } from "../store/store.ts";
import { aggregateVotes } from "./aggregate.ts";
import { type RankReport, rankCounts } from "./rank.ts";

/**
 * Ratings with style control (Chatbot Arena's method) over stored votes: the service behind `modelmap rank
 * --style-control` and `modelmap rank style`. Votes made by modelmap carry the prompt id as `SET/ID`, which
 * links them back to the stored answers and their style features (length and markdown).
 */

/** The stored answers behind votes made by modelmap, keyed `SET/ID` + NUL + model. */
export async function answersForVotes(store: Store, votes: Iterable<Vote>): Promise<Map<string, AnswerRecord>> {
  // set -> models seen, then one query per set
  const sets = new Map<string, Set<string>>();
  for (const v of votes) {
    const slash = v.promptId?.indexOf("/") ?? -1;
    if (!v.promptId || slash <= 0) continue;
    const set = v.promptId.slice(0, slash);
    const m = sets.get(set) ?? new Set<string>();
    m.add(v.modelA);
    m.add(v.modelB);
    sets.set(set, m);
  }
  const out = new Map<string, AnswerRecord>();
  for (const [set, models] of sets) {
    for (const a of await store.judging.latestAnswers(set, [...models]))
      out.set(`${set}/${a.promptId}\u0000${a.model}`, a);
  }
  return out;
}

export const STYLE_FEATURES = ["tokens", "headers", "lists", "bold"] as const;

export interface StyleRanking {
  models: Array<{ model: string; rating: number; lower: number; upper: number; rawRating: number }>;
  coefficients: Array<{ feature: string; beta: number; se: number }>;
  battles: number;
  skipped: number;
  converged: boolean;
}

/**
 * Ratings with style control over stored votes whose answers are known (votes from `modelmap judge` and
 * the labeling campaigns). Votes without stored answers cannot be style-controlled and are counted.
 */
export async function styleControlledRatings(
  store: Store,
  opts: { query?: VoteQuery; bootstrap?: number; seed?: number } = {},
): Promise<StyleRanking> {
  const votes = await collect(store.votes.iterate(opts.query));
  const answers = await answersForVotes(store, votes);
  const index = new Map<string, number>();
  const idx = (m: string) => {
    const known = index.get(m);
    if (known !== undefined) return known;
    const i = index.size;
    index.set(m, i);
    return i;
  };
  const battles: StyledBattle[] = [];
  const used: StoredVote[] = [];
  let skipped = 0;
  const feats = (a: AnswerRecord) => STYLE_FEATURES.map((f) => a[f]);
  for (const v of votes) {
    const a = answers.get(`${v.promptId}\u0000${v.modelA}`);
    const b = answers.get(`${v.promptId}\u0000${v.modelB}`);
    if (!a || !b) {
      skipped++;
      continue;
    }
    const y = v.winner === "model_a" ? 1 : v.winner === "model_b" ? 0 : 0.5;
    battles.push({ i: idx(v.modelA), j: idx(v.modelB), y, styleI: feats(a), styleJ: feats(b) });
    used.push(v);
  }
  if (battles.length === 0) {
    throw new ModelmapError("not_found", "no votes with stored answers to style-control", {
      hint: "style control needs votes made by 'modelmap judge' or labeling campaigns (answers stored by 'modelmap generate')",
    });
  }
  const k = index.size;
  const fit = fitStyleControl(k, battles, STYLE_FEATURES.length, {
    bootstrap: opts.bootstrap ?? 200,
    rng: createRng(opts.seed ?? 0),
  });
  const raw: RankReport = rankCounts(aggregateVotes(used), { bootstrap: 0 });
  const rawBy = new Map(raw.models.map((m) => [m.model, m.rating]));
  const toR = (t: number) => 1000 + RATING_SCALE * t;
  const models = [...index].map(([model, i]) => ({
    model,
    rating: toR(fit.theta[i] as number),
    lower: fit.thetaLower ? toR(fit.thetaLower[i] as number) : Number.NaN,
    upper: fit.thetaUpper ? toR(fit.thetaUpper[i] as number) : Number.NaN,
    rawRating: rawBy.get(model) ?? Number.NaN,
  }));
  models.sort((a, b) => b.rating - a.rating);
  return {
    models,
    coefficients: STYLE_FEATURES.map((feature, c) => ({
      feature,
      beta: fit.beta[c] as number,
      se: fit.betaSe ? (fit.betaSe[c] as number) : Number.NaN,
    })),
    battles: battles.length,
    skipped,
    converged: fit.converged,
  };
}
