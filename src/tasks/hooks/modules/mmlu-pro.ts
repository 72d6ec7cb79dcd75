/**
 * lm-eval's `leaderboard/mmlu_pro/utils.py`: the question, then `A. option` lines (up to 26 options), then
 * `Answer:`; the choices are the letters.
 */
import { pyStr } from "../../pycompat/str.ts";
import type { HookModule } from "../types.ts";
import { field, hookError, listField } from "../values.ts";

const HOOK = "leaderboard/mmlu_pro/utils.py";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function letter(i: number, fn: string): string {
  const l = UPPER[i];
  if (l === undefined) throw hookError(`${HOOK} ${fn}`, `more than 26 options (IndexError: string index out of range)`);
  return l;
}

export const mmluProLeaderboard: HookModule = {
  path: "leaderboard/mmlu_pro/utils.py",
  sha256: ["49a014c4dc39902071760182858e6b4d42aaaa917a440e71a165bdff75085487"],
  functions: {
    doc_to_text: {
      kind: "doc_to_text",
      fn: (doc) => {
        let text = `${pyStr(field(doc, "question", `${HOOK} doc_to_text`))}\n`;
        const options = listField(doc, "options", `${HOOK} doc_to_text`);
        options.forEach((o, i) => {
          text += `${letter(i, "doc_to_text")}. ${pyStr(o)}\n`;
        });
        return `${text}Answer:`;
      },
    },
    doc_to_choice: {
      kind: "doc_to_choice",
      fn: (doc) => listField(doc, "options", `${HOOK} doc_to_choice`).map((_, i) => letter(i, "doc_to_choice")),
    },
  },
};
