/**
 * The reference-match judge: a judge that needs no model, for prompts with a checkable reference answer. It
 * reads the answer a reply commits to (the first number for numeric references, else the first capitalized
 * word) and compares it with the reference. `npm start` uses it to turn the zoo's answers into votes and
 * judgments (the zoo's 96-token models cannot read an LLM judge's prompt); `modelmap judge --judge
 * reference-match` offers it for any prompt set with references. It writes its verdicts in the LLM judges'
 * output format ("Verdict: A", "Score: 10"), so they are parsed, stored and shown like theirs.
 */
import type { AnswerRecord, StoredPromptItem } from "../store/judging.ts";

export const REFERENCE_JUDGE_ID = "reference-match";

/** Words a short answer may open with that are never the answer itself. */
const LEADING_WORDS = new Set(["The", "A", "An", "It", "Its", "In", "Answer", "Yes", "No"]);

/**
 * The answer a reply commits to, read the way the synthetic generative tasks' flexible filter reads it: the
 * first number for numeric references, else the first capitalized word (skipping filler like "The").
 */
export function extractAnswer(output: string, reference: string): string | undefined {
  if (/^-?\d+$/.test(reference.trim())) return /-?\d+/.exec(output)?.[0];
  for (const m of output.matchAll(/\p{Lu}[\p{L}\p{M}'-]*/gu)) if (!LEADING_WORDS.has(m[0])) return m[0];
  return undefined;
}

export function isCorrect(output: string, reference: string): boolean {
  const got = extractAnswer(output, reference);
  if (got === undefined) return false;
  const norm = (s: string) =>
    s
      .trim()
      .toLowerCase()
      .replace(/[.,!?;:]+$/, "");
  return /^-?\d+$/.test(reference.trim()) ? Number(got) === Number(reference) : norm(got) === norm(reference);
}

/** The reference a prompt's last turn is checked against, if it has one. */
export function lastReference(item: Pick<StoredPromptItem, "reference">): string | undefined {
  const r = item.reference;
  const ref = typeof r === "string" ? r : r?.at(-1);
  return ref === undefined || ref.trim() === "" ? undefined : ref;
}

/** A judge that decides without a model; `verdict` returns the text an LLM judge would write. */
export interface Referee {
  readonly kind: "referee";
  readonly name: string;
  /** Whether it can judge this prompt at all (the reference-match judge: only prompts with a reference). */
  canJudge(item: StoredPromptItem): boolean;
  verdict(item: StoredPromptItem, first: AnswerRecord, second?: AnswerRecord): string;
}

function check(a: AnswerRecord, ref: string): { ok: boolean; said: string } {
  const out = a.outputs.at(-1) ?? "";
  return { ok: isCorrect(out, ref), said: extractAnswer(out, ref) ?? "(no answer found)" };
}

export const referenceMatchJudge: Referee = {
  kind: "referee",
  name: REFERENCE_JUDGE_ID,
  canJudge: (item) => lastReference(item) !== undefined,
  verdict(item, first, second) {
    const ref = lastReference(item) as string;
    const a = check(first, ref);
    if (!second)
      return `Reference answer: ${ref}. The reply's answer: ${a.said} (${a.ok ? "right" : "wrong"}).\nScore: ${a.ok ? 10 : 1}`;
    const b = check(second, ref);
    const v = a.ok && b.ok ? "tie" : a.ok ? "A" : b.ok ? "B" : "both bad";
    return `Reference answer: ${ref}. Assistant A answered ${a.said} (${a.ok ? "right" : "wrong"}); assistant B answered ${b.said} (${b.ok ? "right" : "wrong"}).\nVerdict: ${v}`;
  },
};
