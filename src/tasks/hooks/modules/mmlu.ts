/**
 * lm-eval's `mmlu/flan_cot_zeroshot/utils.py` and `mmlu/flan_n_shot/generative/utils.py` (byte-identical): a copy
 * of `MultiChoiceRegexFilter` (the YAMLs of this commit name the built-in `multi_choice_regex` instead, but
 * older and user copies of these task files name this one).
 */
import type { HookModule } from "../types.ts";
import { filterHook, mmluMultiChoice } from "./regex-filters.ts";

export const mmluFlan: HookModule = {
  path: "mmlu/flan_n_shot/generative/utils.py",
  sha256: ["be4152c245326849a377fe9b2b3cb75e8668d73cf83bb66e7f516135c5b3ab0d"],
  functions: {
    MultiChoiceRegexFilter: filterHook(mmluMultiChoice),
  },
};
