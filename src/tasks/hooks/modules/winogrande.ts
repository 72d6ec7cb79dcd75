/**
 * lm-eval's `winogrande/preprocess_winogrande.py` (also `aradice/winogrande/utils.py`, byte-identical, and
 * `tinyBenchmarks/utils_winogrande.py`, which differs by one docstring): a
 * multiple-input task. The choices are the sentence up to the blank with each option filled in; the target is the
 * rest of the sentence after the blank; `doc_to_text` is the index of the correct option.
 */
import { pyStrip } from "../../pycompat/str.ts";
import type { HookModule } from "../types.ts";
import { field, hookError, strField } from "../values.ts";

const HOOK = "winogrande/preprocess_winogrande.py";

function blank(sentence: string, hook: string): number {
  const idx = sentence.indexOf("_");
  if (idx < 0) throw hookError(hook, "the sentence has no '_' (ValueError: substring not found)");
  return idx;
}

export const winogrande: HookModule = {
  path: "winogrande/preprocess_winogrande.py",
  sha256: [
    "e55327629264a98f1d383fda24645b6779afb53fa0bce2150042b9416b1ae006",
    // tinyBenchmarks/utils_winogrande.py: the same code with a docstring added (read and compared by hand).
    "67ecdc97d43dbfd5b7b86bd8fca32951f59ffab99a99010d4b2cf87058e3046f",
  ],
  functions: {
    doc_to_text: {
      kind: "doc_to_text",
      fn: (doc) => {
        const answer = field(doc, "answer", `${HOOK} doc_to_text`);
        if (answer === "1") return 0;
        if (answer === "2") return 1;
        throw hookError(`${HOOK} doc_to_text`, `answer ${JSON.stringify(answer)} is not "1" or "2" (KeyError)`);
      },
    },
    doc_to_target: {
      kind: "doc_to_target",
      fn: (doc) => {
        const s = strField(doc, "sentence", `${HOOK} doc_to_target`);
        return pyStrip(s.slice(blank(s, `${HOOK} doc_to_target`) + 1));
      },
    },
    doc_to_choice: {
      kind: "doc_to_choice",
      fn: (doc) => {
        const hook = `${HOOK} doc_to_choice`;
        const s = strField(doc, "sentence", hook);
        const head = s.slice(0, blank(s, hook));
        return [strField(doc, "option1", hook), strField(doc, "option2", hook)].map((o) => head + o);
      },
    },
  },
};
