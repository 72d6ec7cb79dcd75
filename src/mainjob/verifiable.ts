/**
 * Pairwise votes from verifiable prompts: when a prompt has a reference answer, no judge is needed. For each
 * pair of models that both answered, the correct answer wins; both correct is a `tie`, both wrong a
 * `tie_bothbad` (the Chatbot Arena spelling). Which model is shown first is drawn from a seeded RNG per
 * (prompt, pair), so the record carries a position like a human vote would and stays the same on a rerun.
 */
import { hashOf } from "../core/hash.ts";
import { collect } from "../core/iter.ts";
import { createRng, deriveSeed } from "../core/rng.ts";
import type { Vote, Winner } from "../core/votes.ts";
import { extractAnswer, isCorrect, REFERENCE_JUDGE_ID } from "../judge/reference-match.ts";
import type { Store } from "../store/store.ts";

export const VERIFIABLE_JUDGE = REFERENCE_JUDGE_ID;
export { extractAnswer, isCorrect };

export interface VerifiableItem {
  id: string;
  category: string;
  /** One reference, or one per turn (the last turn's answer is the one checked). */
  reference: string | readonly string[] | null;
}

export interface VoteBuild {
  votes: Vote[];
  /** Per model: prompts answered correctly out of those answered. */
  correct: Record<string, { right: number; answered: number }>;
}

/**
 * `answers` maps model -> prompt id -> the answer text (the last turn); a missing entry (a failed generation)
 * takes no part in that prompt's votes.
 */
export function buildVerifiableVotes(
  items: readonly VerifiableItem[],
  answers: ReadonlyMap<string, ReadonlyMap<string, string>>,
  seed: number,
): VoteBuild {
  const models = [...answers.keys()].sort();
  const correct: VoteBuild["correct"] = Object.fromEntries(models.map((m) => [m, { right: 0, answered: 0 }]));
  const votes: Vote[] = [];
  for (const item of items) {
    const reference = typeof item.reference === "string" ? item.reference : item.reference?.at(-1);
    if (reference === undefined) continue;
    const verdict = new Map<string, boolean>();
    for (const m of models) {
      const out = answers.get(m)?.get(item.id);
      if (out === undefined) continue;
      const ok = isCorrect(out, reference);
      verdict.set(m, ok);
      const c = correct[m] as { right: number; answered: number };
      c.answered++;
      if (ok) c.right++;
    }
    for (let i = 0; i < models.length; i++) {
      for (let j = i + 1; j < models.length; j++) {
        const x = models[i] as string;
        const y = models[j] as string;
        const cx = verdict.get(x);
        const cy = verdict.get(y);
        if (cx === undefined || cy === undefined) continue;
        // model_a is the model shown first (the LMSYS convention), so randomizing the order randomizes a/b.
        const swap = createRng(deriveSeed(seed, `${item.id}\u0000${x}\u0000${y}`)).next() < 0.5;
        const [a, b, ca, cb] = swap ? [y, x, cy, cx] : [x, y, cx, cy];
        const winner: Winner = ca && cb ? "tie" : ca ? "model_a" : cb ? "model_b" : "tie_bothbad";
        votes.push({
          promptId: item.id,
          modelA: a,
          modelB: b,
          winner,
          judge: VERIFIABLE_JUDGE,
          shownFirst: "model_a",
          category: item.category,
          rationale: `reference ${JSON.stringify(reference)}: ${a} ${ca ? "right" : "wrong"}, ${b} ${cb ? "right" : "wrong"}`,
        });
      }
    }
  }
  return { votes, correct };
}

function fingerprint(votes: Iterable<Vote>): string {
  const rows = [...votes].map((v) => [
    v.promptId ?? "",
    v.modelA,
    v.modelB,
    v.winner,
    v.shownFirst ?? "",
    v.category ?? "",
  ]);
  rows.sort((p, q) => (p.join("\u0000") < q.join("\u0000") ? -1 : 1));
  return hashOf(rows);
}

/**
 * Makes `source` hold exactly `votes`: nothing is written when it already does (a rerun adds no duplicates);
 * otherwise the source's old votes are replaced, so a changed answer never leaves a stale vote behind.
 */
export async function replaceSourceVotes(
  store: Store,
  source: string,
  votes: Vote[],
): Promise<{ inserted: number; removed: number; unchanged: boolean }> {
  const existing = await collect(store.votes.iterate({ sources: [source] }));
  if (existing.length === votes.length && fingerprint(existing) === fingerprint(votes))
    return { inserted: 0, removed: 0, unchanged: true };
  const removed = await store.votes.deleteSource(source);
  const inserted = votes.length ? (await store.votes.add(source, votes)).length : 0;
  return { inserted, removed, unchanged: false };
}
