/**
 * Realistic model responses for every MATH Level 5 problem, for comparing the native `process_results` of
 * `leaderboard/math/utils.py` with lm-eval's Python (tools/math/lmeval_process_results.py):
 * - `minerva`: the reference solution followed by the few-shot format's "Final Answer: The final answer is $X$.
 *   I hope it is correct." line;
 * - `solution`: the bare reference solution (its `\boxed{}` only);
 * - `boxed-rewritten`: "... so the answer is $\boxed{Y}$." with Y the gold answer written differently;
 * - `plain-decimal`: "The final answer is 0.333333" for rational non-integer answers;
 * - `wrong`: another problem's answer in the Minerva format.
 */

import { rationalValue } from "../../src/tasks/math/algebra.ts";
import { rToNumber } from "../../src/tasks/math/expr.ts";
import { parseLatexSympy } from "../../src/tasks/math/latex-parse.ts";
import { toLatexReversed } from "./equiv-pairs.ts";

export interface MathResponse {
  kind: "minerva" | "solution" | "boxed-rewritten" | "plain-decimal" | "wrong";
  doc: Record<string, unknown>;
  response: string;
}

export function mathResponses(level5: Array<Record<string, unknown>>): MathResponse[] {
  const out: MathResponse[] = [];
  level5.forEach((doc, i) => {
    const solution = doc["solution"] as string;
    const answer = doc["answer"] as string;
    const final = (x: string) => `${solution}\nFinal Answer: The final answer is $${x}$. I hope it is correct.`;
    out.push({ kind: "minerva", doc, response: final(answer) });
    out.push({ kind: "solution", doc, response: solution });
    let rewritten = answer;
    let value: ReturnType<typeof rationalValue>;
    try {
      const tree = parseLatexSympy(answer);
      rewritten = toLatexReversed(tree);
      value = rationalValue(tree);
    } catch {
      // keep the answer as written
    }
    out.push({ kind: "boxed-rewritten", doc, response: `We work it out, so the answer is $\\boxed{${rewritten}}$.` });
    if (value && value.den !== 1n)
      out.push({ kind: "plain-decimal", doc, response: `The final answer is ${rToNumber(value).toFixed(6)}` });
    const other = level5[(i + 17) % level5.length] as Record<string, unknown>;
    out.push({ kind: "wrong", doc, response: final(other["answer"] as string) });
  });
  return out;
}
