/**
 * lm-eval's `leaderboard/gpqa/utils.py`: the four answers cleaned as HellaSwag's text (plus None -> " "), shuffled
 * with Python's global `random.shuffle`, and the letter of the first choice equal to the cleaned correct answer.
 * The shuffle draws from the run's one `random` stream (see `HookContext`), three draws per document.
 */
import { PythonRandom } from "../../../core/python-random.ts";
import { pySub } from "../../pycompat/regex.ts";
import { pyStrip } from "../../pycompat/str.ts";
import type { HookContext, HookModule } from "../types.ts";
import { field, hookError } from "../values.ts";

const HOOK = "leaderboard/gpqa/utils.py";

export function preprocess(text: unknown): string {
  if (text === null || text === undefined) return " ";
  if (typeof text !== "string") throw hookError(`${HOOK} preprocess`, `${JSON.stringify(text)} is not a string`);
  let t = pyStrip(text);
  t = t.replaceAll(" [title]", ". ");
  t = pySub("\\[.*?\\]", "", t);
  return t.replaceAll("  ", " ");
}

export function processDocs(docs: Record<string, unknown>[], ctx: HookContext = {}): Record<string, unknown>[] {
  const rnd = ctx.random ?? new PythonRandom(0);
  const hook = `${HOOK} process_docs`;
  return docs.map((doc) => {
    const correct = preprocess(field(doc, "Correct Answer", hook));
    const choices = [
      preprocess(field(doc, "Incorrect Answer 1", hook)),
      preprocess(field(doc, "Incorrect Answer 2", hook)),
      preprocess(field(doc, "Incorrect Answer 3", hook)),
      correct,
    ];
    rnd.shuffle(choices);
    const idx = choices.indexOf(correct);
    return {
      ...doc,
      choice1: choices[0],
      choice2: choices[1],
      choice3: choices[2],
      choice4: choices[3],
      answer: `(${String.fromCharCode(65 + idx)})`,
    };
  });
}

export const gpqaLeaderboard: HookModule = {
  path: "leaderboard/gpqa/utils.py",
  sha256: ["21901ae19d06c75c1490026f98be390e8b522b1d0d7cdce4f77740b344072883"],
  functions: {
    process_docs: { kind: "process_docs", fn: processDocs },
  },
};
