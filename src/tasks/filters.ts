/**
 * Answer extraction, as lm-evaluation-harness's filters: a named pipeline of steps turns a raw generation into
 * the answer that is scored. Strict and flexible pipelines run side by side so that a model that answers right
 * in the wrong format is visible rather than silently scored zero.
 */
import { ModelmapError } from "../core/errors.ts";
import type { FilterPipeline, FilterStep } from "./schema.ts";

export const NO_FILTER: FilterPipeline = { name: "none", filter: [{ function: "take_first" }] };

/** Translates Python-only regex syntax used in lm-eval YAMLs (a leading `(?s)`, `(?i)`) into JS flags. */
export function compileRegex(pattern: string, extraFlags = ""): RegExp {
  let p = pattern;
  let flags = extraFlags;
  for (;;) {
    const m = /^\(\?([imsx]+)\)/.exec(p);
    if (!m?.[1]) break;
    for (const f of m[1]) if (f !== "x" && !flags.includes(f)) flags += f;
    p = p.slice(m[0].length);
  }
  try {
    return new RegExp(p, flags);
  } catch (e) {
    throw new ModelmapError("input", `invalid regex '${pattern}': ${(e as Error).message}`);
  }
}

interface RegexStep {
  regex_pattern?: string;
  group_select?: number;
  fallback?: string;
}

function regexStep(text: string, step: RegexStep): string {
  const re = compileRegex(step.regex_pattern ?? "#### (\\-?[0-9\\.\\,]+)", "g");
  // Python's findall: the whole match without groups, group 1 with one group, a tuple with several.
  const matches: string[] = [];
  for (const m of text.matchAll(re)) {
    if (m.length <= 1) matches.push(m[0]);
    else if (m.length === 2) matches.push(m[1] ?? "");
    else matches.push(m.slice(1).find((g) => g !== undefined && g !== "") ?? "");
  }
  if (matches.length === 0) return step.fallback ?? "[invalid]";
  const sel = step.group_select ?? 0;
  const idx = sel < 0 ? matches.length + sel : sel;
  const pick = matches[Math.min(Math.max(idx, 0), matches.length - 1)] ?? "";
  return pick.trim();
}

export function applyFilter(text: string, pipeline: FilterPipeline): string {
  let out = text;
  for (const step of pipeline.filter) {
    switch (step.function) {
      case "regex":
        out = regexStep(out, step as FilterStep & RegexStep);
        break;
      case "take_first":
        break;
      case "remove_whitespace":
        out = out.trimStart();
        break;
      case "strip":
        out = out.trim();
        break;
      case "lowercase":
        out = out.toLowerCase();
        break;
      case "uppercase":
        out = out.toUpperCase();
        break;
    }
  }
  return out;
}
