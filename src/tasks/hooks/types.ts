/**
 * The contract between lm-eval task files that name Python hooks (`!function utils.process_docs`) and the
 * native TypeScript functions that stand for them. A YAML's `!function MODULE.NAME` resolves to the file
 * `MODULE.py` next to the YAML (as lm-eval resolves it); modelmap reads that file, hashes it (sha256 of its
 * bytes) and looks the hash up among the registered modules. An edited `utils.py` has another hash, so it is
 * refused rather than silently run as something else.
 *
 * Hook functions are pure: no I/O, no clock, no global randomness (a hook that shuffles, as GPQA's
 * `process_docs` does, reproduces Python's `random` through `core/python-random`).
 */

import type { PythonRandom } from "../../core/python-random.ts";

/** One dataset row, as the dataset reader gives it (JSON-like values). */
export type Doc = Record<string, unknown>;

/**
 * What a `process_docs` hook may use besides the rows. `random` is Python's global `random` module state: lm-eval
 * seeds it once per run (`random.seed(random_seed)`, 0 by default) before building tasks, and a hook that calls
 * `random.shuffle` (GPQA's) draws from that one stream, so the order in which the loader processes tasks and
 * splits matters. Without it a hook uses a fresh `PythonRandom(0)` (one task processed alone on a fresh run).
 */
export interface HookContext {
  random?: PythonRandom;
}

/** What a `process_results` hook returns: metric name -> per-document value (a number, or any value its aggregation reads). */
export type ProcessedResults = Record<string, unknown>;

/**
 * The kinds of hooks lm-eval's YAML can name, with the signature lm-eval calls them with:
 * - `process_docs(dataset) -> dataset`: every split's rows, before anything else (rows in, rows out, in order).
 * - `doc_to_text(doc) -> str`, `doc_to_target(doc) -> str | int | list`, `doc_to_choice(doc) -> list[str]`.
 * - `process_results(doc, results) -> dict`: `results` is the list of model responses for the document (for
 *   generate_until, the filtered strings; for multiple choice / loglikelihood, `[logprob, isGreedy]` pairs).
 * - `aggregation(items) -> float`: the per-document values of one metric.
 * - `fewshot_samples() -> list[doc]`: `fewshot_config.samples: !function utils.list_fewshot_samples`.
 * - `filter`: a filter class (`function: !function utils.MultiChoiceRegexFilter` plus the YAML's other keys
 *   as its keyword arguments), applied to every document's responses.
 */
export type HookFunction =
  | { kind: "process_docs"; fn: (docs: Doc[], ctx?: HookContext) => Doc[] }
  /** A string, or (multiple-input tasks such as winogrande) the index of the gold context. */
  | { kind: "doc_to_text"; fn: (doc: Doc) => string | number }
  | { kind: "doc_to_target"; fn: (doc: Doc) => string | number | Array<string | number> }
  | { kind: "doc_to_choice"; fn: (doc: Doc) => string[] }
  | { kind: "process_results"; fn: (doc: Doc, results: unknown[]) => ProcessedResults }
  | { kind: "aggregation"; fn: (items: unknown[]) => number }
  | { kind: "fewshot_samples"; fn: () => Doc[] }
  | {
      kind: "filter";
      /** Builds the filter from the YAML step's other keys; `apply` maps each document's responses. */
      create: (kwargs: Record<string, unknown>) => {
        /** `responses[i]`: document i's current value (its list of responses before `take_first`). */
        apply: (responses: unknown[], docs: Doc[]) => unknown[];
      };
    };

export type HookKind = HookFunction["kind"];

/** The native stand-in for one Python hook module. */
export interface HookModule {
  /** Where the module lives in lm-eval's tree, e.g. `leaderboard/math/utils.py` (for messages and docs). */
  path: string;
  /**
   * sha256 (hex) of every version of the file this module stands for; several when lm-eval's copies of the
   * same code differ only in ways that do not change behaviour (each one read and checked by hand).
   */
  sha256: string[];
  /** Function name (as the YAML names it after the module) -> implementation. */
  functions: Record<string, HookFunction>;
}
