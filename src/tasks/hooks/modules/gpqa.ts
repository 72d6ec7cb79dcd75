/**
 * lm-eval's GPQA `process_docs`: the four answers cleaned as HellaSwag's text (plus None -> " "), shuffled with
 * Python's global `random.shuffle`, and the letter of the first choice equal to the cleaned correct answer. The
 * shuffle draws from the run's one `random` stream (see `HookContext`), three draws per document.
 * Three versions of the file: `leaderboard/gpqa/utils.py` (bracketed tags removed), `gpqa/zeroshot/utils.py`
 * (tags kept), and `gpqa/generative/utils.py` (tags kept, a `choices` list added; also in cot_zeroshot and
 * cot_n_shot). `gpqa/n_shot/utils.py` shuffles with a module-level `random.Random(42)` whose state lives as long as
 * the Python process, so it has no native version.
 */
import { PythonRandom } from "../../../core/python-random.ts";
import { pySub } from "../../pycompat/regex.ts";
import { pyStrip } from "../../pycompat/str.ts";
import type { HookContext, HookModule } from "../types.ts";
import { field, hookError } from "../values.ts";

const HOOK = "leaderboard/gpqa/utils.py";

interface Variant {
  removeTags: boolean;
  choicesList: boolean;
}

export function preprocess(text: unknown, removeTags = true): string {
  if (text === null || text === undefined) return " ";
  if (typeof text !== "string") throw hookError(`${HOOK} preprocess`, `${JSON.stringify(text)} is not a string`);
  let t = pyStrip(text);
  t = t.replaceAll(" [title]", ". ");
  if (removeTags) t = pySub("\\[.*?\\]", "", t);
  return t.replaceAll("  ", " ");
}

function makeProcessDocs(v: Variant) {
  return (docs: Record<string, unknown>[], ctx: HookContext = {}): Record<string, unknown>[] => {
    const rnd = ctx.random ?? new PythonRandom(0);
    const hook = `${HOOK} process_docs`;
    const pre = (x: unknown) => preprocess(x, v.removeTags);
    return docs.map((doc) => {
      const correct = pre(field(doc, "Correct Answer", hook));
      const choices = [
        pre(field(doc, "Incorrect Answer 1", hook)),
        pre(field(doc, "Incorrect Answer 2", hook)),
        pre(field(doc, "Incorrect Answer 3", hook)),
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
        ...(v.choicesList ? { choices: [...choices] } : {}),
        answer: `(${String.fromCharCode(65 + idx)})`,
      };
    });
  };
}

export const processDocs = makeProcessDocs({ removeTags: true, choicesList: false });

export const gpqaLeaderboard: HookModule = {
  path: "leaderboard/gpqa/utils.py",
  sha256: ["21901ae19d06c75c1490026f98be390e8b522b1d0d7cdce4f77740b344072883"],
  functions: {
    process_docs: { kind: "process_docs", fn: processDocs },
  },
};

export const gpqaZeroshot: HookModule = {
  path: "gpqa/zeroshot/utils.py",
  sha256: ["7c755f2c3f8f4ac20de96fb68941c43424d2ded0552d5ab81e672e15c410655c"],
  functions: {
    process_docs: { kind: "process_docs", fn: makeProcessDocs({ removeTags: false, choicesList: false }) },
  },
};

export const gpqaGenerative: HookModule = {
  path: "gpqa/generative/utils.py",
  sha256: ["b603828710f1fb3e1b8fe42726b188544ef8dbd12d25f4ca676e42ca4d1a251b"],
  functions: {
    process_docs: { kind: "process_docs", fn: makeProcessDocs({ removeTags: false, choicesList: true }) },
  },
};
