/**
 * The filter classes lm-eval's task folders define in their own `utils.py` on top of `RegexFilter`:
 * bbh's `ExtendedRegexFilter` family (`MultiChoiceRegexFilter` reading the choices out of `doc["input"]`,
 * `MapRegexFilter`, `NumberParseRegexFilter` with word2number, `WordSortFilter`) and mmlu's copy of
 * `MultiChoiceRegexFilter`. They differ from lm-eval's built-in filter in one Python detail kept here: a match whose
 * groups are all empty raises IndexError instead of counting as no match.
 */

import { z } from "zod";
import { ModelmapError } from "../../../core/errors.ts";
import type { Filter } from "../../filters.ts";
import { ExtendedRegexBase, filterArgs, pyIter } from "../../filters.ts";
import { pyCompile } from "../../pycompat/regex.ts";
import { pyFloatRepr, pySplitWhitespace, pyStrip } from "../../pycompat/str.ts";
import type { Doc, HookFunction } from "../types.ts";
import { wordToNum } from "./word2number.ts";

function strings(resps: unknown): unknown[] {
  return pyIter(resps);
}

/** bbh's `MultiChoiceRegexFilter`: choices are the texts after `(A)`, `(B)`... in the document's input. */
export function bbhMultiChoice(kwargs: Record<string, unknown>): Filter {
  const base = new ExtendedRegexBase("bbh MultiChoiceRegexFilter", kwargs, "index-error");
  const choiceRe = pyCompile("\\([A-Z]\\)([^\\n^(]*)");
  return {
    apply: (resps, docs) =>
      resps.map((r, i) => {
        const input = (docs[i] as Doc)?.input;
        if (typeof input !== "string")
          throw new ModelmapError("input", "bbh MultiChoiceRegexFilter: doc['input'] is not a string");
        return base.extract(r, choiceRe.findall(input) as string[]);
      }),
  };
}

/** mmlu's copy of `MultiChoiceRegexFilter` (choices from `doc["choices"]`). */
export function mmluMultiChoice(kwargs: Record<string, unknown>): Filter {
  const base = new ExtendedRegexBase("mmlu MultiChoiceRegexFilter", kwargs, "index-error");
  return {
    apply: (resps, docs) =>
      resps.map((r, i) => {
        const choices = (docs[i] as Doc)?.choices;
        if (!Array.isArray(choices))
          throw new ModelmapError("input", "mmlu MultiChoiceRegexFilter: doc['choices'] is not a list");
        return base.extract(r, choices.map(String));
      }),
  };
}

const MapArgs = z.strictObject({
  regex_pattern_to_value: z.record(z.string(), z.unknown()).default({}),
  group_select: z.number().int().default(0),
  fallback: z.string().default("[invalid]"),
  ignore_case: z.boolean().default(false),
  ignore_punctuation: z.boolean().default(false),
  regexes_to_ignore: z.array(z.string()).nullable().default(null),
});

/** bbh's `MapRegexFilter`: the first of the patterns (in order) that matches the whole match decides the value. */
export function mapRegexFilter(kwargs: Record<string, unknown>): Filter {
  const a = filterArgs("MapRegexFilter", MapArgs, kwargs);
  const { regex_pattern_to_value: table, ...rest } = a;
  const base = new ExtendedRegexBase(
    "MapRegexFilter",
    { ...rest, regex_pattern: Object.keys(table).join("|") },
    "index-error",
  );
  const entries = Object.entries(table).map(([p, v]) => [pyCompile(p), v] as const);
  return {
    apply: (resps) =>
      resps.map((r) =>
        strings(r).map((resp) => {
          const whole = base.findMatch(base.regex, base.filterIgnores(String(resp)));
          let match: unknown = null;
          if (whole) {
            for (const [re, value] of entries) {
              match = base.findMatch(re, base.filterIgnores(whole));
              if (match) {
                match = value;
                break;
              }
            }
          }
          return !whole || !match ? base.args.fallback : match;
        }),
      ),
  };
}

// The Reddit pattern for English number words; the `regex` module's branch resets `(?|...)` hold no groups here,
// so they are plain alternations.
const ENGLISH_NUMBER =
  "((?:(?:zero|one|two|three|four|five|(?:twen|thir|for|fif|six|seven|nine)(?:teen|ty)|eight(?:|een|y)|ten|eleven|twelve|fourteen|hundred|thousand|(?:m|b|tr)illion)(?:zero|one|two|three|four|five|(?:twen|thir|for|fif|six|seven|nine)(?:|teen|ty)|eight(?:een|y)|ten|eleven|twelve|fourteen|hundred|thousand|(?:m|b|tr)illion|[^\\S\\r\\n]|,|and|&)+)?(?:zero|one|two|three|four|five|(?:twen|thir|for|fif|six|seven|nine)(?:teen|ty)|eight(?:een|y)|ten|eleven|twelve|fourteen|hundred|thousand|(?:m|b|tr)illion))";

/** bbh's `NumberParseRegexFilter`: the regex, else English number words turned into digits by word2number. */
export function numberParseRegexFilter(kwargs: Record<string, unknown>): Filter {
  const base = new ExtendedRegexBase("NumberParseRegexFilter", kwargs, "index-error");
  const english = pyCompile(ENGLISH_NUMBER);
  return {
    apply: (resps) =>
      resps.map((r) =>
        strings(r).map((resp) => {
          let match: string | null = base.findMatch(base.regex, resp);
          if (!match) {
            match = base.findMatch(english, String(resp).toLowerCase());
            if (match) {
              const n = wordToNum(match);
              match = Number.isInteger(n.value) && !n.isFloat ? String(n.value) : pyFloatRepr(n.value);
            }
          }
          return match ? match : base.args.fallback;
        }),
      ),
  };
}

/** bbh's `WordSortFilter`: the list's words in the order of their last occurrence in the response. */
export function wordSortFilter(kwargs: Record<string, unknown>): Filter {
  filterArgs("WordSortFilter", z.strictObject({}), kwargs);
  return {
    apply: (resps, docs) =>
      resps.map((r, i) => {
        const input = (docs[i] as Doc)?.input;
        if (typeof input !== "string") throw new ModelmapError("input", "WordSortFilter: doc['input'] is not a string");
        const parts = input.split("List:");
        if (parts.length < 2) throw new ModelmapError("input", "WordSortFilter: the input has no 'List:' (IndexError)");
        const words = pySplitWhitespace(pyStrip(parts[1] as string));
        // The words are joined unescaped, as the Python does.
        const re = pyCompile(words.map((w) => `\\b${w}\\b`).join("|"));
        return strings(r).map((resp) => {
          const found = re.findall(String(resp));
          if (found.some((f) => typeof f !== "string")) {
            throw new ModelmapError("input", "WordSortFilter: a listed word holds a regex group (TypeError in Python)");
          }
          const seen = new Set<string>();
          const order: string[] = [];
          for (const w of (found as string[]).reverse()) {
            if (!seen.has(w)) {
              seen.add(w);
              order.push(w);
            }
          }
          return order.reverse().join(" ");
        });
      }),
  };
}

/** `ExtendedRegexFilter` used directly: `RegexFilter.apply` with its own constructor arguments. */
export function extendedRegexFilter(kwargs: Record<string, unknown>): Filter {
  const base = new ExtendedRegexBase("ExtendedRegexFilter", kwargs, "index-error");
  return {
    apply: (resps) =>
      resps.map((r) =>
        strings(r).map((resp) => {
          const text = typeof resp === "string" ? resp : "";
          const ms = base.regex.findall(text);
          if (ms.length === 0) return base.args.fallback;
          const i = base.args.group_select < 0 ? ms.length + base.args.group_select : base.args.group_select;
          let m = ms[i];
          if (m === undefined)
            throw new ModelmapError("input", "ExtendedRegexFilter: group_select out of range (IndexError)");
          if (Array.isArray(m)) m = m.find((g) => g !== "") ?? base.args.fallback;
          return pyStrip(m);
        }),
      ),
  };
}

export function filterHook(create: (kwargs: Record<string, unknown>) => Filter): HookFunction {
  return { kind: "filter", create };
}
