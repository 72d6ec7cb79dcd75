/**
 * lm-eval's `hellaswag/utils.py` (also `okapi/hellaswag_multilingual/utils.py`, byte-identical, and
 * `tinyBenchmarks/utils_hellaswag.py`, which differs by one docstring): the WikiHow
 * clean-up of contexts and endings (` [title]` -> `. `, bracketed tags removed, double spaces collapsed once) and
 * the query `activity_label: ctx_a + " " + ctx_b.capitalize()`.
 */
import { pySub } from "../../pycompat/regex.ts";
import { pyCapitalize, pyStrip } from "../../pycompat/str.ts";
import type { HookModule } from "../types.ts";
import { hfMap, listField, pyInt, strField } from "../values.ts";

const HOOK = "hellaswag/utils.py";

export function preprocess(text: string): string {
  let t = pyStrip(text);
  t = t.replaceAll(" [title]", ". ");
  t = pySub("\\[.*?\\]", "", t);
  return t.replaceAll("  ", " ");
}

export const hellaswag: HookModule = {
  path: "hellaswag/utils.py",
  sha256: [
    "07d23b60b28f2a4f658dcf8440623a63fe6644854ce9b846a114dde980dc1214",
    // tinyBenchmarks/utils_hellaswag.py: the same code with a docstring added (read and compared by hand).
    "80c0f9aa54356da08ee3a0fbf6d76ebb4f313405d6604f618a29ab912b0c8143",
  ],
  functions: {
    process_docs: {
      kind: "process_docs",
      fn: (docs) =>
        hfMap(docs, (doc) => {
          const hook = `${HOOK} process_docs`;
          const ctx = `${strField(doc, "ctx_a", hook)} ${pyCapitalize(strField(doc, "ctx_b", hook))}`;
          const endings = listField(doc, "endings", hook).map((e) => {
            if (typeof e !== "string") throw new TypeError(`${hook}: an ending is not a string`);
            return preprocess(e);
          });
          return {
            query: preprocess(`${strField(doc, "activity_label", hook)}: ${ctx}`),
            choices: endings,
            gold: pyInt(doc.label, hook),
          };
        }),
    },
  },
};
