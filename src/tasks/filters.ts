/**
 * Answer extraction, as lm-evaluation-harness's filters (`lm_eval/filters/`): a named pipeline of steps turns each
 * document's model responses into the value that is scored. Strict and flexible pipelines run side by side so that
 * a model that answers right in the wrong format is visible rather than silently scored zero.
 *
 * Shapes follow lm-eval exactly: a pipeline gets, per document, the list of its responses (one per repeat); each
 * step maps the per-document values; `take_first` turns a list into its first element, `majority_vote` into a
 * one-element list. A step that iterates a document's value iterates a string's characters, as Python does.
 * Regexes are Python `re` patterns (see `pycompat/regex.ts`).
 */
import { z } from "zod";
import { ModelmapError } from "../core/errors.ts";
import type { Doc } from "./hooks/types.ts";
import { type PyPattern, pyCompile, pyEscape, pySub } from "./pycompat/regex.ts";
import { pyStrip } from "./pycompat/str.ts";
import type { FunctionRef } from "./pyyaml.ts";
import type { FilterPipeline } from "./schema.ts";

/** One filter step, as lm-eval's `Filter.apply(resps, docs)`: per-document values in, per-document values out. */
export interface Filter {
  apply(resps: unknown[], docs: Doc[]): unknown[];
}

/** A filter class by name: builds a step from the YAML step's other keys (its keyword arguments). */
export type FilterFactory = (kwargs: Record<string, unknown>) => Filter;

function kwargsError(filter: string, e: z.ZodError): ModelmapError {
  const issues = e.issues.map((i) => `${i.path.join(".") || "(step)"}: ${i.message}`).join("; ");
  return new ModelmapError("input", `filter '${filter}': bad arguments: ${issues}`);
}

/** Parses a filter's keyword arguments with a strict schema (Python would raise TypeError on an unknown one). */
export function filterArgs<T extends z.ZodType>(
  filter: string,
  schema: T,
  kwargs: Record<string, unknown>,
): z.infer<T> {
  const r = schema.safeParse(kwargs);
  if (!r.success) throw kwargsError(filter, r.error);
  return r.data;
}

/** Python's iteration over a document's value: a list's items, a string's characters. */
export function pyIter(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === "string") return Array.from(v);
  throw new ModelmapError("input", `filter input is not iterable: ${JSON.stringify(v)}`);
}

/** Python's `seq[i]` with negative indices and IndexError. */
export function pyIndex<T>(seq: readonly T[], i: number, what: string): T {
  const j = i < 0 ? seq.length + i : i;
  if (j < 0 || j >= seq.length) {
    throw new ModelmapError(
      "input",
      `${what}: index ${i} out of range for ${seq.length} match(es) (IndexError in lm-eval)`,
    );
  }
  return seq[j] as T;
}

const RegexArgs = z.strictObject({
  regex_pattern: z.string().default("#### (\\-?[0-9\\.\\,]+)"),
  group_select: z.number().int().default(0),
  fallback: z.string().default("[invalid]"),
});

/** `regex`: `findall`, the `group_select`-th match, the first non-empty group of a tuple, stripped. */
export class RegexFilter implements Filter {
  readonly regex: PyPattern;
  readonly groupSelect: number;
  readonly fallback: string;

  constructor(kwargs: Record<string, unknown>, name = "regex") {
    const a = filterArgs(name, RegexArgs, kwargs);
    this.regex = pyCompile(a.regex_pattern);
    this.groupSelect = a.group_select;
    this.fallback = a.fallback;
  }

  apply(resps: unknown[]): unknown[] {
    return resps.map((inst) =>
      pyIter(inst).map((resp) => {
        const text = typeof resp === "string" ? resp : "";
        const matches = this.regex.findall(text);
        if (matches.length === 0) return this.fallback;
        let m = pyIndex(matches, this.groupSelect, "regex filter group_select");
        if (Array.isArray(m)) m = m.find((g) => g !== "") ?? this.fallback;
        return pyStrip(m as string);
      }),
    );
  }
}

const PUNCT = /\p{P}/gu;

const ExtendedArgs = RegexArgs.extend({
  ignore_case: z.boolean().default(false),
  ignore_punctuation: z.boolean().default(false),
  regexes_to_ignore: z.array(z.string()).nullable().default(null),
});
export type ExtendedRegexArgs = z.infer<typeof ExtendedArgs>;

/**
 * The shared parts of lm-eval's `MultiChoiceRegexFilter` and its copies in task folders (bbh, mmlu): the
 * normalisation of step 1 (`filter_ignores`) and `find_match`.
 */
export class ExtendedRegexBase {
  readonly regex: PyPattern;
  readonly args: ExtendedRegexArgs;

  constructor(
    readonly name: string,
    kwargs: Record<string, unknown>,
    /** What `find_match` does with a tuple whose groups are all empty: "" (lm-eval's filter) or IndexError (task copies). */
    private readonly emptyTuple: "empty" | "index-error",
  ) {
    this.args = filterArgs(name, ExtendedArgs, kwargs);
    this.regex = pyCompile(this.args.regex_pattern);
  }

  filterIgnores(st: string): string {
    let s = st;
    for (const r of this.args.regexes_to_ignore ?? []) s = pySub(r, "", s);
    if (this.args.ignore_case) s = s.toLowerCase();
    if (this.args.ignore_punctuation) s = s.replace(PUNCT, "");
    return s;
  }

  /** Returns the match (a string), or null where Python returns an empty list (no match). */
  findMatch(regex: PyPattern, resp: unknown, convert: ReadonlyMap<string, string> = new Map()): string | null {
    const matches = regex.findall(typeof resp === "string" ? resp : "");
    if (matches.length === 0) return null;
    let m = pyIndex(matches, this.args.group_select, `${this.name} group_select`);
    if (Array.isArray(m)) {
      const nonEmpty = m.filter((g) => g !== "");
      if (nonEmpty.length === 0) {
        if (this.emptyTuple === "empty") return "";
        throw new ModelmapError("input", `${this.name}: every group of the match is empty (IndexError in lm-eval)`);
      }
      m = nonEmpty[0] as string;
    }
    let s = pyStrip(m);
    if (s && convert.has(s)) s = convert.get(s) as string;
    return s;
  }

  /**
   * lm-eval's multiple-choice extraction for one document: the main regex; else the choice texts (normalised) as
   * alternatives, mapped to `(A)`, `(B)`...; else a bare letter after a colon.
   */
  extract(responses: unknown, choices: string[]): unknown[] {
    const fallbackRegexes: string[] = [];
    const choiceToAlpha = new Map<string, string>();
    const letters: string[] = [];
    const letterToTarget = new Map<string, string>();
    let next = "A".charCodeAt(0);
    for (const c of choices) {
      const m = this.filterIgnores(pyStrip(c));
      fallbackRegexes.push(pyEscape(m));
      const alpha = String.fromCharCode(next);
      choiceToAlpha.set(m, `(${alpha})`);
      letters.push(alpha);
      letterToTarget.set(alpha, `(${alpha})`);
      next++;
    }
    const fallback = pyCompile(fallbackRegexes.join("|"));
    const withoutParen = pyCompile(`:[\\s]*(${letters.join("|")})`);
    return pyIter(responses).map((resp) => {
      let match = this.findMatch(this.regex, resp);
      if (!match) {
        match = this.findMatch(fallback, this.filterIgnores(typeof resp === "string" ? resp : ""), choiceToAlpha);
        if (!match) match = this.findMatch(withoutParen, resp, letterToTarget);
      }
      return match ? match : this.args.fallback;
    });
  }
}

/** `multi_choice_regex` (lm-eval's built-in `MultiChoiceRegexFilter`): choices from `doc["choices"]`. */
export class MultiChoiceRegexFilter implements Filter {
  private readonly base: ExtendedRegexBase;

  constructor(kwargs: Record<string, unknown>) {
    this.base = new ExtendedRegexBase("multi_choice_regex", kwargs, "empty");
  }

  apply(resps: unknown[], docs: Doc[]): unknown[] {
    if (resps.length !== docs.length) {
      throw new ModelmapError("internal", `multi_choice_regex: ${resps.length} responses for ${docs.length} documents`);
    }
    return resps.map((r, i) => this.base.extract(r, docChoices(docs[i] as Doc, "multi_choice_regex")));
  }
}

function docChoices(doc: Doc, filter: string): string[] {
  const choices = doc.choices;
  if (!Array.isArray(choices)) {
    throw new ModelmapError("input", `filter '${filter}' needs a 'choices' list in every document`);
  }
  return choices.map((c) => String(c));
}

const NoArgs = z.strictObject({});

function simpleFactory(name: string, fn: (inst: unknown) => unknown): FilterFactory {
  return (kwargs) => {
    filterArgs(name, NoArgs, kwargs);
    return { apply: (resps) => resps.map(fn) };
  };
}

/** `take_first`: each document's first response (`r[0]`). */
function takeFirst(r: unknown): unknown {
  const items = pyIter(r);
  if (items.length === 0) throw new ModelmapError("input", "take_first: a document has no responses");
  return items[0];
}

/** `majority_vote`: the most frequent response (ties: the first seen), as a one-element list. */
function majorityVote(r: unknown): unknown[] {
  const counts = new Map<string, { value: unknown; n: number }>();
  for (const v of pyIter(r)) {
    const key = JSON.stringify(v) ?? "undefined";
    const c = counts.get(key);
    if (c) c.n++;
    else counts.set(key, { value: v, n: 1 });
  }
  let best: { value: unknown; n: number } | undefined;
  for (const c of counts.values()) if (!best || c.n > best.n) best = c;
  if (!best) throw new ModelmapError("input", "majority_vote: a document has no responses");
  return [best.value];
}

function mapStrings(name: string, f: (s: string) => string): FilterFactory {
  return simpleFactory(name, (inst) =>
    pyIter(inst).map((resp) => {
      if (typeof resp !== "string") throw new ModelmapError("input", `${name}: a response is not a string`);
      return f(resp);
    }),
  );
}

const TakeKArgs = z.strictObject({ k: z.number().int().nonnegative() });
const MapArgs = z.strictObject({
  mapping_dict: z.record(z.string(), z.unknown()).nullable().default(null),
  default_value: z.unknown().default(null),
});

/** lm-eval's filter registry (the names its YAMLs use). */
export const FILTER_REGISTRY: Readonly<Record<string, FilterFactory>> = {
  regex: (kw) => new RegexFilter(kw),
  multi_choice_regex: (kw) => new MultiChoiceRegexFilter(kw),
  take_first: simpleFactory("take_first", takeFirst),
  take_first_k: (kw) => {
    const { k } = filterArgs("take_first_k", TakeKArgs, kw);
    return {
      apply: (resps) => {
        const first = resps[0];
        if (first !== undefined && pyIter(first).length < k) {
          throw new ModelmapError(
            "input",
            `take_first_k: need at least ${k} responses per document, got ${pyIter(first).length} (increase repeats)`,
          );
        }
        return resps.map((r) => (typeof r === "string" ? Array.from(r).slice(0, k).join("") : pyIter(r).slice(0, k)));
      },
    };
  },
  majority_vote: simpleFactory("majority_vote", majorityVote),
  lowercase: mapStrings("lowercase", (s) => s.toLowerCase()),
  uppercase: mapStrings("uppercase", (s) => s.toUpperCase()),
  remove_whitespace: mapStrings("remove_whitespace", (s) => pyStrip(s)),
  map: (kw) => {
    const a = filterArgs("map", MapArgs, kw);
    const dict = a.mapping_dict ?? {};
    return {
      apply: (resps) =>
        resps.map((inst) =>
          pyIter(inst).map((resp) =>
            typeof resp === "string" && Object.hasOwn(dict, resp) ? dict[resp] : a.default_value,
          ),
        ),
    };
  },
  // modelmap's own step (not lm-eval's): strip the response. Kept for task files written for modelmap.
  strip: mapStrings("strip", (s) => pyStrip(s)),
};

export const FILTER_NAMES = Object.keys(FILTER_REGISTRY).sort();

/** One step of a pipeline: a registered filter by name, or a hook's filter class (`!function utils.X`). */
export interface FilterStepSpec {
  function: string | FilterFactory;
  kwargs?: Record<string, unknown>;
}

/** A named pipeline, built once per task (lm-eval's `FilterEnsemble`). */
export interface FilterEnsemble {
  name: string;
  steps: Filter[];
}

export function buildFilterEnsemble(name: string, steps: FilterStepSpec[]): FilterEnsemble {
  return {
    name,
    steps: steps.map((s) => {
      const kwargs = s.kwargs ?? {};
      if (typeof s.function !== "string") return s.function(kwargs);
      const factory = FILTER_REGISTRY[s.function];
      if (!factory) {
        throw new ModelmapError(
          "input",
          `filter pipeline '${name}': unknown filter '${s.function}' (known: ${FILTER_NAMES.join(", ")})`,
        );
      }
      return factory(kwargs);
    }),
  };
}

/**
 * Runs a pipeline over every document: `resps[i]` is document i's list of responses; the result is document i's
 * filtered value (a string after `take_first`).
 */
export function applyFilterEnsemble(ensemble: FilterEnsemble, resps: unknown[][], docs: Doc[]): unknown[] {
  let cur: unknown[] = resps;
  for (const step of ensemble.steps) {
    cur = step.apply(cur, docs);
    if (cur.length !== docs.length) {
      throw new ModelmapError("internal", `filter pipeline '${ensemble.name}' changed the number of documents`);
    }
  }
  return cur;
}

/** lm-eval's pipeline when a task names none. */
export const NO_FILTER: FilterPipeline = { name: "none", filter: [{ function: "take_first" }] };

/**
 * Builds a pipeline from a task file's `filter_list` entry (steps as `{function, ...kwargs}`); a `!function` step
 * is the filter class of a bound hook, given by `hookFilter` (the task's `hooks`).
 */
export function ensembleFromPipeline(
  pipeline: FilterPipeline,
  hookFilter?: (ref: FunctionRef) => FilterFactory | undefined,
): FilterEnsemble {
  return buildFilterEnsemble(
    pipeline.name,
    pipeline.filter.map((step) => {
      const { function: fn, ...kwargs } = step;
      if (typeof fn === "string") return { function: fn, kwargs };
      const factory = hookFilter?.(fn);
      if (!factory)
        throw new ModelmapError(
          "unsupported",
          `filter pipeline '${pipeline.name}': '!function ${fn.ref}' is not bound`,
        );
      return { function: factory, kwargs };
    }),
  );
}

/** One response through one pipeline (the single-response case of `applyFilterEnsemble`). */
export function applyFilter(text: string, pipeline: FilterPipeline, doc: Doc = {}): string {
  const [out] = applyFilterEnsemble(ensembleFromPipeline(pipeline), [[text]], [doc]);
  return typeof out === "string" ? out : Array.isArray(out) ? String(out[0] ?? "") : String(out ?? "");
}

/**
 * A Python regex as a JS RegExp with extra JS flags (e.g. "g"); `(?s)`/`(?i)` and the rest of Python's syntax
 * are translated (see `pycompat/regex.ts`).
 */
export function compileRegex(pattern: string, extraFlags = ""): RegExp {
  const p = pyCompile(pattern);
  const flags = new Set([...p.regex.flags.replace("g", ""), ...extraFlags]);
  return new RegExp(p.regex.source, [...flags].join(""));
}
