import type { ChatMessage } from "../backends/types.ts";
import { hashOf } from "../core/hash.ts";

/**
 * modelmap's own judge prompts. Written for this project: the rubric puts correctness and fulfilment of
 * explicit constraints before style, tells the judge that the order is random and that length earns
 * nothing by itself, and asks for one machine-readable final line so that parsing does not guess.
 * Bump JUDGE_PROMPT_VERSION whenever a text below changes: it is part of every judgment's cache key.
 */
export const JUDGE_PROMPT_VERSION = "modelmap-judge-v1";

const SYSTEM =
  "You evaluate replies written by AI assistants. You are strict, fair and brief. You never let the order " +
  "in which replies are shown, their length, their confidence or their formatting decide for you.";

const PAIR_RUBRIC = `Two assistants, A and B, answered the same user. Decide whose replies serve the user better.

How to decide, in order of importance:
1. Correctness: facts, calculations, code behaviour and logic. A wrong final answer loses to a right one.
2. Fulfilment: did the reply do what was asked, including every explicit constraint (length, format, language, audience, number of items)?
3. Usefulness: relevant detail, sound judgement, no padding, no refusal of a harmless request.
4. Clarity and tone.
The order of A and B was chosen at random. A longer reply is not better for being longer.`;

const SINGLE_RUBRIC = `Grade the assistant's replies in this conversation on a scale from 1 to 10.

10 = excellent: correct, complete, fulfils every explicit constraint, well judged and clear.
7 = good: correct and useful with minor omissions or style problems.
4 = weak: partly wrong, incomplete, or ignores a constraint.
1 = useless or harmful: wrong, off-topic, or refuses a harmless request.
Correctness and fulfilment of the request matter most; length and formatting earn nothing by themselves.`;

const REFERENCE_NOTE = `A reference answer is provided. Use it to check correctness: a reply whose result contradicts the reference is wrong, however well written. A reply may reach the reference's result by a different valid route.`;

const PAIR_OUTPUT = `Think briefly (at most a short paragraph), then end with exactly one line in one of these forms:
Verdict: A
Verdict: B
Verdict: tie
Verdict: both bad
("tie" = about equally good; "both bad" = neither reply is acceptable.)`;

const SINGLE_OUTPUT = `Think briefly (at most a short paragraph), then end with exactly one line of the form:
Score: N
where N is an integer from 1 to 10.`;

function transcript(turns: string[], outputs: string[], label: string): string {
  const parts: string[] = [];
  turns.forEach((t, i) => {
    parts.push(`[User]\n${t}`);
    parts.push(`[${label}]\n${outputs[i] ?? "(no reply)"}`);
  });
  return parts.join("\n\n");
}

function referenceBlock(reference: string[] | undefined): string {
  if (!reference || reference.length === 0) return "";
  const body =
    reference.length === 1 ? (reference[0] as string) : reference.map((r, i) => `Turn ${i + 1}: ${r}`).join("\n");
  return `\n\n${REFERENCE_NOTE}\n\n<<<REFERENCE>>>\n${body}\n<<<END REFERENCE>>>`;
}

export function pairwiseMessages(input: {
  turns: string[];
  first: string[];
  second: string[];
  reference?: string[] | undefined;
}): ChatMessage[] {
  const body = `${PAIR_RUBRIC}${referenceBlock(input.reference)}

<<<CONVERSATION WITH ASSISTANT A>>>
${transcript(input.turns, input.first, "Assistant A")}
<<<END A>>>

<<<CONVERSATION WITH ASSISTANT B>>>
${transcript(input.turns, input.second, "Assistant B")}
<<<END B>>>

${PAIR_OUTPUT}`;
  return [
    { role: "system", content: SYSTEM },
    { role: "user", content: body },
  ];
}

export function singleMessages(input: {
  turns: string[];
  outputs: string[];
  reference?: string[] | undefined;
}): ChatMessage[] {
  const body = `${SINGLE_RUBRIC}${referenceBlock(input.reference)}

<<<CONVERSATION>>>
${transcript(input.turns, input.outputs, "Assistant")}
<<<END CONVERSATION>>>

${SINGLE_OUTPUT}`;
  return [
    { role: "system", content: SYSTEM },
    { role: "user", content: body },
  ];
}

/** Identifies the exact judge texts, so changing a prompt never reuses judgments made with the old one. */
export const JUDGE_PROMPT_HASH = hashOf({
  v: JUDGE_PROMPT_VERSION,
  SYSTEM,
  PAIR_RUBRIC,
  SINGLE_RUBRIC,
  REFERENCE_NOTE,
  PAIR_OUTPUT,
  SINGLE_OUTPUT,
}).slice(0, 16);

export type PairVerdict = "first" | "second" | "tie" | "both_bad";

/**
 * Reads the verdict from a judge's text: the last `Verdict: X` line (a judge may quote the options before
 * deciding), with MT-bench's `[[A]]`/`[[B]]`/`[[C]]` accepted as a fallback. Anything else is unparseable
 * and is recorded as such with the raw text.
 */
export function parsePairVerdict(raw: string): { verdict: PairVerdict } | { error: string } {
  const re = /verdict\s*[:=]\s*[*_`"'[(]*\s*(assistant\s+)?(a|b|tie|both[\s_-]*bad)\b/gi;
  let last: string | undefined;
  for (const m of raw.matchAll(re)) last = (m[2] as string).toLowerCase();
  if (last === undefined) {
    const br = [...raw.matchAll(/\[\[\s*(A|B|C|tie)\s*\]\]/gi)].pop();
    if (br) last = (br[1] as string).toLowerCase() === "c" ? "tie" : (br[1] as string).toLowerCase();
  }
  if (last === undefined) return { error: "no 'Verdict: A|B|tie|both bad' line found" };
  if (last === "a") return { verdict: "first" };
  if (last === "b") return { verdict: "second" };
  if (last === "tie") return { verdict: "tie" };
  return { verdict: "both_bad" };
}

export function parseScore(raw: string): { score: number } | { error: string } {
  const matches = [...raw.matchAll(/score\s*[:=]\s*[*_`"'[(]*\s*(\d+(?:\.\d+)?)\s*(?:\/\s*10)?/gi)];
  let s = matches.pop()?.[1];
  if (s === undefined) s = [...raw.matchAll(/\[\[\s*(\d+(?:\.\d+)?)\s*\]\]/g)].pop()?.[1];
  if (s === undefined) return { error: "no 'Score: N' line found" };
  const n = Number(s);
  if (!(n >= 1 && n <= 10)) return { error: `score ${s} is outside 1-10` };
  return { score: n };
}
