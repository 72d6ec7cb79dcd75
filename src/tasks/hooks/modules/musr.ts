/**
 * lm-eval's `leaderboard/musr/utils.py`: the choices are stored as the text of a Python list
 * (`ast.literal_eval`); the prompt numbers them `1 - choice`.
 */
import { pyLiteralEval } from "../../pycompat/literal.ts";
import { pyStr } from "../../pycompat/str.ts";
import type { HookModule } from "../types.ts";
import { field, hookError, strField } from "../values.ts";

const HOOK = "leaderboard/musr/utils.py";

function choices(doc: Record<string, unknown>, fn: string): unknown[] {
  const v = pyLiteralEval(strField(doc, "choices", `${HOOK} ${fn}`));
  if (!Array.isArray(v)) throw hookError(`${HOOK} ${fn}`, "choices is not a list literal");
  return v;
}

export const musr: HookModule = {
  path: "leaderboard/musr/utils.py",
  sha256: ["9da42ec170310d8eaac3964994eb02d150e52e0f4514553e395c2a3174c25dd4"],
  functions: {
    doc_to_choice: {
      kind: "doc_to_choice",
      fn: (doc) =>
        choices(doc, "doc_to_choice").map((c) => {
          if (typeof c !== "string") throw hookError(`${HOOK} doc_to_choice`, "a choice is not a string");
          return c;
        }),
    },
    doc_to_text: {
      kind: "doc_to_text",
      fn: (doc) => {
        let list = "";
        choices(doc, "doc_to_text").forEach((c, i) => {
          list += `${i + 1} - ${pyStr(c)}\n`;
        });
        const hook = `${HOOK} doc_to_text`;
        return `${pyStr(field(doc, "narrative", hook))}\n\n${pyStr(field(doc, "question", hook))}\n\n${list}\nAnswer:`;
      },
    },
  },
};
