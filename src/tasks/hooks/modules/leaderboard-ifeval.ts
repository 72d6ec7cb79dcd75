/**
 * Native stand-in for lm-eval's `ifeval/utils.py` (byte-identical to `leaderboard/ifeval/utils.py`), the hooks of
 * the `ifeval` and `leaderboard_ifeval` tasks: `process_results` scores a response strictly and loosely
 * (`tasks/ifeval/evaluate.ts`), `agg_inst_level_acc` averages over all instructions.
 *
 * Both copies of utils.py import `lm_eval.tasks.ifeval.instructions` (the `ifeval/` copy, whose only behavioural
 * difference from `leaderboard/ifeval/instructions.py` is in the unregistered RephraseChecker); the port follows
 * that module at lm-eval commit 4e7e0d4.
 */
import { ModelmapError } from "../../../core/errors.ts";
import { aggInstLevelAcc, IfevalDocSchema, ifevalProcessResults } from "../../ifeval/evaluate.ts";
import type { Doc, HookModule, ProcessedResults } from "../types.ts";

/** sha256 of `ifeval/utils.py` and `leaderboard/ifeval/utils.py` at lm-eval 4e7e0d4 (the same bytes). */
export const IFEVAL_UTILS_SHA256 = "1ab8f14808c826f93f2364883487ed63cf4267980bf4761fda8053899c013632";

function processResults(doc: Doc, results: unknown[]): ProcessedResults {
  const parsed = IfevalDocSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelmapError("input", `not an IFEval document: ${issue?.message ?? "invalid"}`, {
      location: { field: issue?.path.join(".") ?? "" },
    });
  }
  const response = results[0];
  if (typeof response !== "string")
    throw new ModelmapError("input", `IFEval process_results needs the response text, got ${typeof response}`);
  return { ...ifevalProcessResults(parsed.data, response) };
}

function aggregate(items: unknown[]): number {
  if (!items.every((x) => Array.isArray(x) && x.every((v) => typeof v === "boolean")))
    throw new ModelmapError("internal", "agg_inst_level_acc expects one list of booleans per document");
  return aggInstLevelAcc(items as boolean[][]);
}

export const leaderboardIfeval: HookModule = {
  path: "leaderboard/ifeval/utils.py",
  sha256: [IFEVAL_UTILS_SHA256],
  functions: {
    process_results: { kind: "process_results", fn: processResults },
    agg_inst_level_acc: { kind: "aggregation", fn: aggregate },
  },
};
