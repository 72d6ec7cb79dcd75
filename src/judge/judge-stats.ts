import type { JudgmentRecord } from "../store/judging.ts";
import type { Store } from "../store/store.ts";

export interface Rate {
  k: number;
  n: number;
  /** k / n, NaN when n = 0. */
  rate: number;
  /** Binomial standard error of the rate. */
  se: number;
}

function rate(k: number, n: number): Rate {
  const r = n > 0 ? k / n : Number.NaN;
  return { k, n, rate: r, se: n > 0 ? Math.sqrt((r * (1 - r)) / n) : Number.NaN };
}

export interface JudgeStats {
  judge: string;
  pairwiseJudgments: number;
  singleJudgments: number;
  unparseable: Rate;
  /** Pairs judged in both orders (both parseable) whose outcome in model terms did not change. */
  consistency: Rate;
  /** Among decisive single-order verdicts: how often the answer shown first won. 0.5 is unbiased. */
  firstPositionWinRate: Rate;
  tieRate: Rate;
  /** Among decisive verdicts between answers of different length: how often the longer one won. */
  longerAnswerWinRate: Rate;
  /** Mean single-answer grade per model. */
  meanGrade: Array<{ model: string; mean: number; n: number }>;
}

/** Bias and reliability figures of one judge, from its stored judgments. */
export async function judgeStats(store: Store, judge: string, setName?: string): Promise<JudgeStats> {
  const q: { judge: string; setName?: string } = { judge };
  if (setName !== undefined) q.setName = setName;
  const all = await store.judging.judgments(q);
  const pw = all.filter((j) => j.kind === "pairwise");
  const single = all.filter((j) => j.kind === "single");
  const unparseable = all.filter((j) => j.parseError !== null).length;

  const byPair = new Map<string, JudgmentRecord>();
  for (const j of pw) byPair.set(`${j.answerFirst}|${j.answerSecond}`, j);
  let consistentN = 0;
  let consistentK = 0;
  for (const j of pw) {
    if (j.answerFirst > (j.answerSecond as string)) continue; // visit each unordered pair once
    const other = byPair.get(`${j.answerSecond}|${j.answerFirst}`);
    if (!other || j.verdict === null || other.verdict === null) continue;
    consistentN++;
    const w1 = j.verdict === "first" ? j.modelFirst : j.verdict === "second" ? j.modelSecond : "tie";
    const w2 = other.verdict === "first" ? other.modelFirst : other.verdict === "second" ? other.modelSecond : "tie";
    if (w1 === w2) consistentK++;
  }

  const parsed = pw.filter((j) => j.verdict !== null);
  const decisive = parsed.filter((j) => j.verdict === "first" || j.verdict === "second");
  const firstWins = decisive.filter((j) => j.verdict === "first").length;
  const ties = parsed.filter((j) => j.verdict === "tie" || j.verdict === "both_bad").length;

  const keys = new Set<string>();
  for (const j of decisive) {
    keys.add(j.answerFirst);
    keys.add(j.answerSecond as string);
  }
  const answers = await store.judging.getAnswers([...keys]);
  let longerN = 0;
  let longerK = 0;
  for (const j of decisive) {
    const a = answers.get(j.answerFirst);
    const b = answers.get(j.answerSecond as string);
    if (!a || !b || a.chars === b.chars) continue;
    longerN++;
    const winnerLonger = j.verdict === "first" ? a.chars > b.chars : b.chars > a.chars;
    if (winnerLonger) longerK++;
  }

  const grades = new Map<string, { sum: number; n: number }>();
  for (const j of single) {
    if (j.score === null) continue;
    const g = grades.get(j.modelFirst) ?? { sum: 0, n: 0 };
    g.sum += j.score;
    g.n++;
    grades.set(j.modelFirst, g);
  }
  return {
    judge,
    pairwiseJudgments: pw.length,
    singleJudgments: single.length,
    unparseable: rate(unparseable, all.length),
    consistency: rate(consistentK, consistentN),
    firstPositionWinRate: rate(firstWins, decisive.length),
    tieRate: rate(ties, parsed.length),
    longerAnswerWinRate: rate(longerK, longerN),
    meanGrade: [...grades].map(([model, g]) => ({ model, mean: g.sum / g.n, n: g.n })).sort((x, y) => y.mean - x.mean),
  };
}

export function formatRate(r: Rate): string {
  if (r.n === 0) return "n/a (n=0)";
  return `${(100 * r.rate).toFixed(1)}% ± ${(100 * r.se).toFixed(1)} (${r.k}/${r.n})`;
}
