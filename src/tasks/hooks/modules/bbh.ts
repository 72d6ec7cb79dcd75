/**
 * lm-eval's `bbh/zeroshot/utils.py` and `bbh/cot_zeroshot/utils.py` (byte-identical): the answer-extraction
 * filter classes of the BBH zero-shot variants' `flexible-extract` pipelines.
 */
import type { HookModule } from "../types.ts";
import {
  bbhMultiChoice,
  extendedRegexFilter,
  filterHook,
  mapRegexFilter,
  numberParseRegexFilter,
  wordSortFilter,
} from "./regex-filters.ts";

export const bbh: HookModule = {
  path: "bbh/zeroshot/utils.py",
  sha256: ["1faaca748bffd4ac209fd43671c40ecc08f081d6e74d279a3e62ca0c11335305"],
  functions: {
    ExtendedRegexFilter: filterHook(extendedRegexFilter),
    MapRegexFilter: filterHook(mapRegexFilter),
    NumberParseRegexFilter: filterHook(numberParseRegexFilter),
    WordSortFilter: filterHook(wordSortFilter),
    MultiChoiceRegexFilter: filterHook(bbhMultiChoice),
  },
};
