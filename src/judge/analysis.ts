import { z } from "zod";
import { aggregateVotes } from "../arena/aggregate.ts";
import { rankCounts } from "../arena/rank.ts";
import { answersForVotes } from "../arena/style-ratings.ts";
import { fieldPath, ModelmapError } from "../core/errors.ts";
import { readUserText } from "../core/files.ts";
import { collect } from "../core/iter.ts";
import { createRng } from "../core/rng.ts";
import type { Vote } from "../core/votes.ts";
import { alpacaWinRate, type LcWinRate, lengthControlledWinRate, type WinRate } from "../stats/winrate.ts";
import type { Store, VoteQuery } from "../store/store.ts";

/**
 * Analyses over judged and labelled votes: win rate against a baseline (with AlpacaEval's length-controlled
 * variant) and quality quadrants. Style-controlled ratings are the arena's (arena/style-ratings.ts).
 */

export interface BaselineWinRate extends WinRate {
  model: string;
  lc: LcWinRate;
  avgLength: number;
}

/** Win rate of every model against `baseline` over stored votes, with length-controlled win rates. */
export async function baselineWinRates(
  store: Store,
  opts: { baseline: string; query?: VoteQuery; bootstrap?: number; seed?: number },
): Promise<{ rows: BaselineWinRate[]; votesWithoutAnswers: number }> {
  const votes = (await collect(store.votes.iterate(opts.query))).filter(
    (v) => v.modelA === opts.baseline || v.modelB === opts.baseline,
  );
  if (votes.length === 0) {
    throw new ModelmapError("not_found", `no votes involve the baseline '${opts.baseline}'`, {
      hint: "judge with --baseline first, or check --source/--filter",
    });
  }
  const answers = await answersForVotes(store, votes);
  const byModel = new Map<
    string,
    { prefs: number[]; lc: Array<{ preference: number; lengthModel: number; lengthBaseline: number }> }
  >();
  let missing = 0;
  for (const v of votes) {
    const model = v.modelA === opts.baseline ? v.modelB : v.modelA;
    const modelIsA = v.modelA === model;
    const pref = v.winner === "tie" || v.winner === "tie_bothbad" ? 1.5 : (v.winner === "model_a") === modelIsA ? 2 : 1;
    const e = byModel.get(model) ?? { prefs: [], lc: [] };
    e.prefs.push(pref);
    const am = answers.get(`${v.promptId}\u0000${model}`);
    const ab = answers.get(`${v.promptId}\u0000${opts.baseline}`);
    if (am && ab) e.lc.push({ preference: pref, lengthModel: am.chars, lengthBaseline: ab.chars });
    else missing++;
    byModel.set(model, e);
  }
  const rows: BaselineWinRate[] = [];
  for (const [model, e] of byModel) {
    const lc =
      e.lc.length >= 2
        ? lengthControlledWinRate(e.lc, { bootstrap: opts.bootstrap ?? 200, rng: createRng(opts.seed ?? 0) })
        : { lcWinRate: Number.NaN, standardError: Number.NaN, coefficients: { model: 0, length: 0 }, converged: false };
    const avgLength = e.lc.length ? e.lc.reduce((s, r) => s + r.lengthModel, 0) / e.lc.length : Number.NaN;
    rows.push({ model, ...alpacaWinRate(e.prefs), lc, avgLength });
  }
  rows.sort((a, b) => b.winRate - a.winRate);
  return { rows, votesWithoutAnswers: missing };
}

const alpacaRow = z.looseObject({
  output_1: z.string(),
  output_2: z.string(),
  generator_1: z.string().optional(),
  generator_2: z.string().optional(),
  preference: z.union([z.number(), z.string(), z.null()]),
});

/** Win rate, standard error, discrete and length-controlled win rate of an AlpacaEval annotations file. */
export function alpacaEvalFile(
  path: string,
  opts: { bootstrap?: number; seed?: number } = {},
): { model: string; baseline: string } & BaselineWinRate {
  let data: unknown;
  try {
    data = JSON.parse(readUserText(path, "AlpacaEval annotations file"));
  } catch (e) {
    if (e instanceof ModelmapError) throw e;
    throw new ModelmapError("input", `cannot read AlpacaEval annotations: ${(e as Error).message}`, {
      location: { file: path },
    });
  }
  const parsed = z.array(alpacaRow).safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelmapError("input", issue?.message ?? "invalid annotations", {
      location: { file: path, field: issue ? fieldPath(issue.path) : "" },
      hint: "expected a JSON array of {instruction, output_1 (baseline), output_2, generator_1, generator_2, preference}",
    });
  }
  const rows = parsed.data.map((r) => ({
    preference: r.preference === null || r.preference === "" ? Number.NaN : Number(r.preference),
    lengthModel: r.output_2.length,
    lengthBaseline: r.output_1.length,
  }));
  const wr = alpacaWinRate(rows.map((r) => r.preference));
  const lc = lengthControlledWinRate(rows, { bootstrap: opts.bootstrap ?? 200, rng: createRng(opts.seed ?? 0) });
  const model = parsed.data[0]?.generator_2 ?? "output_2";
  const baseline = parsed.data[0]?.generator_1 ?? "output_1";
  const avgLength = rows.reduce((s, r) => s + r.lengthModel, 0) / (rows.length || 1);
  return { model, baseline, ...wr, lc, avgLength };
}

export type Quadrant = "poor-poor" | "acceptable-poor" | "acceptable-acceptable";

export interface QuadrantReport {
  threshold: number;
  quadrants: Array<{
    quadrant: Quadrant;
    battles: number;
    models: Array<{ model: string; battles: number; winRate: number; rating: number }>;
  }>;
  /** Votes whose answers have no single-answer grade from this judge. */
  ungraded: number;
}

/**
 * Quality quadrants: each judged comparison is classed by the single-answer grades of its two answers
 * (acceptable = grade >= threshold; a both-bad tie is poor-poor), and win rates and ratings are reported
 * per class, so a user sees whether a model wins close calls between good answers or only beats bad ones.
 */
export async function qualityQuadrants(
  store: Store,
  opts: { judge: string; setName: string; threshold?: number },
): Promise<QuadrantReport> {
  const threshold = opts.threshold ?? 6;
  const grades = new Map<string, number>();
  for (const j of await store.judging.judgments({ judge: opts.judge, setName: opts.setName, kind: "single" })) {
    if (j.score !== null) grades.set(`${j.promptId}\u0000${j.modelFirst}`, j.score);
  }
  const votes = (await collect(store.votes.iterate({ filters: [{ field: "judge", value: opts.judge }] }))).filter((v) =>
    v.promptId?.startsWith(`${opts.setName}/`),
  );
  const groups = new Map<Quadrant, Vote[]>();
  let ungraded = 0;
  for (const v of votes) {
    const pid = (v.promptId as string).slice(opts.setName.length + 1);
    const ga = grades.get(`${pid}\u0000${v.modelA}`);
    const gb = grades.get(`${pid}\u0000${v.modelB}`);
    let q: Quadrant;
    if (v.winner === "tie_bothbad") q = "poor-poor";
    else if (ga === undefined || gb === undefined) {
      ungraded++;
      continue;
    } else {
      const good = (ga >= threshold ? 1 : 0) + (gb >= threshold ? 1 : 0);
      q = good === 2 ? "acceptable-acceptable" : good === 1 ? "acceptable-poor" : "poor-poor";
    }
    const list = groups.get(q) ?? [];
    list.push(v);
    groups.set(q, list);
  }
  const order: Quadrant[] = ["poor-poor", "acceptable-poor", "acceptable-acceptable"];
  return {
    threshold,
    ungraded,
    quadrants: order.map((quadrant) => {
      const vs = groups.get(quadrant) ?? [];
      if (vs.length === 0) return { quadrant, battles: 0, models: [] };
      const r = rankCounts(aggregateVotes(vs), { bootstrap: 0 });
      return {
        quadrant,
        battles: vs.length,
        models: r.models.map((m) => ({
          model: m.model,
          battles: m.battles,
          winRate: m.battles ? (m.wins + m.ties / 2) / m.battles : Number.NaN,
          rating: m.rating,
        })),
      };
    }),
  };
}
