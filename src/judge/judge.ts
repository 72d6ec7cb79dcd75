import type { Backend, GenerationParams } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import { hashOf } from "../core/hash.ts";
import { createRng, deriveSeed } from "../core/rng.ts";
import type { Vote, Winner } from "../core/votes.ts";
import type { AnswerRecord, JudgmentRecord, StoredPromptItem } from "../store/judging.ts";
import type { Store } from "../store/store.ts";
import {
  JUDGE_PROMPT_HASH,
  type PairVerdict,
  pairwiseMessages,
  parsePairVerdict,
  parseScore,
  singleMessages,
} from "./judge-prompts.ts";
import type { Referee } from "./reference-match.ts";
import { mapPool, REFERENCE_GUIDED } from "./sampling.ts";

export interface JudgeOptions {
  store: Store;
  /** An LLM (any backend), or a referee that decides without a model (the reference-match judge). */
  judge: Backend | Referee;
  /** The name votes carry in their `judge` field (the judge's model id). */
  judgeId: string;
  setName: string;
  items: StoredPromptItem[];
  models: string[];
  /** Judge only pairs that include this model (win rate against a baseline). */
  baseline?: string;
  pairwise?: boolean;
  single?: boolean;
  seed?: number;
  maxTokens?: number;
  /** Source under which combined votes are stored. */
  source?: string;
  /** False: store the judgments but add no votes (when the same answers already voted another way). */
  votes?: boolean;
  signal?: AbortSignal;
  /** After each call: calls done, calls in all, calls failed so far. */
  onProgress?: (done: number, total: number, failed: number) => void;
}

export interface JudgeSummary {
  pairwiseCalls: number;
  singleCalls: number;
  resumed: number;
  unparseable: number;
  failed: number;
  votesAdded: number;
  /** Pairs whose two orders disagreed (stored as ties). */
  inconsistent: number;
  missingAnswers: number;
  /** Every failed call (not stored; the next run retries it), for the summary's counts by reason. */
  failures: Array<{ promptId: string; message: string; code?: string }>;
  /** Prompts a referee could not judge (no reference answer). */
  skipped: number;
}

function referenceOf(item: StoredPromptItem): string[] | undefined {
  if (item.reference === null || !REFERENCE_GUIDED.has(item.category)) return undefined;
  const r = typeof item.reference === "string" ? [item.reference] : item.reference.filter((x) => x.trim() !== "");
  return r.length ? r : undefined;
}

/** The winner in model terms of one order's verdict. */
function modelOutcome(verdict: string | null, first: string, second: string): string | null {
  if (verdict === "first") return first;
  if (verdict === "second") return second;
  if (verdict === "tie" || verdict === "both_bad") return verdict;
  return null;
}

/**
 * Combines the two orders of one pair into one vote: the same outcome in both orders stands; any
 * disagreement (a verdict that flips with the order, or a tie against a win) is a tie. Returns undefined
 * when either order is unparseable: no vote is made from half a judgment, and both raw texts stay stored.
 */
export function combineOrders(
  o1: { verdict: string | null; modelFirst: string; modelSecond: string },
  o2: { verdict: string | null; modelFirst: string; modelSecond: string },
): { winner: string; consistent: boolean } | undefined {
  const w1 = modelOutcome(o1.verdict, o1.modelFirst, o1.modelSecond);
  const w2 = modelOutcome(o2.verdict, o2.modelFirst, o2.modelSecond);
  if (w1 === null || w2 === null) return undefined;
  if (w1 === w2) return { winner: w1, consistent: true };
  if ((w1 === "tie" || w1 === "both_bad") && (w2 === "tie" || w2 === "both_bad"))
    return { winner: "tie", consistent: true };
  return { winner: "tie", consistent: false };
}

/**
 * Judges a set's stored answers: every model pair (or every pair with the baseline) in both orders, and
 * every answer alone on a 1-10 scale; reference-guided where the category has a checkable answer. Each
 * judge call is stored (raw text, parse error, shown order) under a content key, so reruns resume; each
 * fully judged pair becomes one vote in the votes table, exactly once.
 */
export async function judgeSet(o: JudgeOptions): Promise<JudgeSummary> {
  const pairwise = o.pairwise ?? true;
  const single = o.single ?? true;
  const seed = o.seed ?? 0;
  const params: GenerationParams = { temperature: 0, maxTokens: o.maxTokens ?? 1024, seed };
  const source = o.source ?? `judge:${o.setName}`;
  const byPrompt = new Map<string, Map<string, AnswerRecord>>();
  for (const a of await o.store.judging.latestAnswers(o.setName, o.models)) {
    const m = byPrompt.get(a.promptId) ?? new Map<string, AnswerRecord>();
    m.set(a.model, a);
    byPrompt.set(a.promptId, m);
  }
  const summary: JudgeSummary = {
    pairwiseCalls: 0,
    singleCalls: 0,
    resumed: 0,
    unparseable: 0,
    failed: 0,
    votesAdded: 0,
    inconsistent: 0,
    missingAnswers: 0,
    failures: [],
    skipped: 0,
  };
  const referee = "kind" in o.judge && o.judge.kind === "referee" ? o.judge : undefined;
  type Call = { item: StoredPromptItem; first: AnswerRecord; second?: AnswerRecord };
  const pairs: Array<{ item: StoredPromptItem; a: AnswerRecord; b: AnswerRecord }> = [];
  const calls: Call[] = [];
  for (const item of o.items) {
    if (referee && !referee.canJudge(item)) {
      summary.skipped++;
      continue;
    }
    const answers = byPrompt.get(item.id);
    const models = o.models.filter((m) => answers?.has(m));
    summary.missingAnswers += o.models.length - models.length;
    if (pairwise) {
      for (let i = 0; i < models.length; i++) {
        for (let j = i + 1; j < models.length; j++) {
          const mi = models[i] as string;
          const mj = models[j] as string;
          if (o.baseline !== undefined && mi !== o.baseline && mj !== o.baseline) continue;
          // Which model is shown first in the first order is random per pair (and recorded on the vote).
          const rng = createRng(deriveSeed(seed, `${item.id}\u0000${mi}\u0000${mj}`));
          const [x, y] = rng.next() < 0.5 ? [mi, mj] : [mj, mi];
          const a = answers?.get(x) as AnswerRecord;
          const b = answers?.get(y) as AnswerRecord;
          pairs.push({ item, a, b });
          calls.push({ item, first: a, second: b }, { item, first: b, second: a });
        }
      }
    }
    if (single) for (const m of models) calls.push({ item, first: answers?.get(m) as AnswerRecord });
  }
  const judgeIdent = referee ? { name: referee.name, fileSha256: undefined } : (o.judge as Backend).identity;
  const keyOf = (c: Call) =>
    hashOf({
      judge: { id: o.judgeId, name: judgeIdent.name, file: judgeIdent.fileSha256 },
      prompt: referee ? referee.name : JUDGE_PROMPT_HASH,
      kind: c.second ? "pairwise" : "single",
      answers: c.second ? [c.first.key, c.second.key] : [c.first.key],
      params,
    });
  let done = 0;
  // Which calls a previous run already judged, in one lookup (a rerun used to ask once per call: 720 queries for
  // the zoo's set, a sixth of a warm `npm start`).
  const keys = new Map(calls.map((c) => [c, keyOf(c)]));
  const judged = await o.store.judging.getJudgments([...keys.values()]);
  await mapPool(calls, referee ? 1 : (o.judge as Backend).capabilities.concurrency, async (c) => {
    if (o.signal?.aborted) throw new ModelmapError("aborted", "interrupted");
    const key = keys.get(c) as string;
    if (judged.has(key)) {
      summary.resumed++;
    } else {
      const ref = referenceOf(c.item);
      const messages = c.second
        ? pairwiseMessages({ turns: c.item.turns, first: c.first.outputs, second: c.second.outputs, reference: ref })
        : singleMessages({ turns: c.item.turns, outputs: c.first.outputs, reference: ref });
      let raw: string;
      try {
        if (referee) raw = referee.verdict(c.item, c.first, c.second);
        else raw = (await (o.judge as Backend).generate(messages, params, o.signal ? { signal: o.signal } : {})).text;
      } catch (e) {
        if (e instanceof ModelmapError && e.code === "aborted") throw e;
        // A failed call is not stored: the next run retries it.
        summary.failed++;
        summary.failures.push({
          promptId: c.item.id,
          message: (e as Error).message || String(e),
          ...(e instanceof ModelmapError ? { code: e.code } : {}),
        });
        o.onProgress?.(++done, calls.length, summary.failed);
        return;
      }
      const rec: JudgmentRecord = {
        key,
        judge: o.judgeId,
        kind: c.second ? "pairwise" : "single",
        setName: o.setName,
        promptId: c.item.id,
        category: c.item.category,
        answerFirst: c.first.key,
        answerSecond: c.second?.key ?? null,
        modelFirst: c.first.model,
        modelSecond: c.second?.model ?? null,
        verdict: null,
        score: null,
        parseError: null,
        raw,
        referenceGuided: ref !== undefined || referee !== undefined,
        judgePromptHash: referee ? referee.name : JUDGE_PROMPT_HASH,
      };
      if (c.second) {
        const p = parsePairVerdict(raw);
        if ("verdict" in p) rec.verdict = p.verdict;
        else rec.parseError = p.error;
        summary.pairwiseCalls++;
      } else {
        const p = parseScore(raw);
        if ("score" in p) rec.score = p.score;
        else rec.parseError = p.error;
        summary.singleCalls++;
      }
      if (rec.parseError !== null) summary.unparseable++;
      await o.store.judging.putJudgment(rec);
    }
    o.onProgress?.(++done, calls.length, summary.failed);
  });
  // A secret set's prompts may be quoted in a judge's text: its votes carry no raw text (the judgments
  // table keeps it, which only the database owner reads).
  const secret = (await o.store.judging.getPromptSet(o.setName))?.secret ?? false;
  for (const { item, a, b } of o.votes === false ? [] : pairs) {
    if ((await o.store.judging.pairVoted(o.judgeId, a.key, b.key)) !== undefined) continue;
    const j = await o.store.judging.getJudgments([
      keyOf({ item, first: a, second: b }),
      keyOf({ item, first: b, second: a }),
    ]);
    const j1 = j.get(keyOf({ item, first: a, second: b }));
    const j2 = j.get(keyOf({ item, first: b, second: a }));
    if (!j1 || !j2) continue;
    const c = combineOrders(
      { verdict: j1.verdict, modelFirst: a.model, modelSecond: b.model },
      { verdict: j2.verdict, modelFirst: b.model, modelSecond: a.model },
    );
    if (!c) continue;
    if (!c.consistent) summary.inconsistent++;
    const winner: Winner =
      c.winner === a.model
        ? "model_a"
        : c.winner === b.model
          ? "model_b"
          : c.winner === "both_bad"
            ? "tie_bothbad"
            : "tie";
    const vote: Vote = {
      promptId: `${o.setName}/${item.id}`,
      modelA: a.model,
      modelB: b.model,
      winner,
      judge: o.judgeId,
      shownFirst: "model_a",
      category: item.category,
      turn: item.turns.length,
      anony: true,
      rationale: secret
        ? `[secret set: raw judgments withheld] order 1 verdict ${j1.verdict}, order 2 verdict ${j2.verdict}${c.consistent ? "" : " (flipped with the order: recorded as a tie)"}`
        : `[order 1: A=${a.model}, B=${b.model}; verdict ${j1.verdict as PairVerdict}]\n${j1.raw}\n\n[order 2: A=${b.model}, B=${a.model}; verdict ${j2.verdict as PairVerdict}]${c.consistent ? "" : " (flipped with the order: recorded as a tie)"}\n${j2.raw}`,
    };
    await o.store.transaction(async () => {
      const [id] = await o.store.votes.add(source, [vote]);
      await o.store.judging.markPairVoted(o.judgeId, a.key, b.key, id as number);
    });
    summary.votesAdded++;
  }
  return summary;
}
