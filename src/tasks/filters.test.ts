import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ModelmapError } from "../core/errors.ts";
import { applyFilter, applyFilterEnsemble, buildFilterEnsemble, type FilterStepSpec } from "./filters.ts";
import type { Doc } from "./hooks/types.ts";

/** Outputs of lm-eval's own filters (commit 4e7e0d4) on synthetic inputs: tools/lmeval-reference/. */
const REF = JSON.parse(
  readFileSync(join(import.meta.dirname, "..", "..", "fixtures", "lmeval-reference", "filters-metrics.json"), "utf8"),
) as {
  regex: Array<{ kwargs: Record<string, unknown>; resps: string[][]; out: { ok?: unknown[]; error?: string } }>;
  multi_choice_regex: Array<{
    kwargs: Record<string, unknown>;
    docs: Doc[];
    resps: string[][];
    out: { ok?: unknown[]; error?: string };
  }>;
  pipelines: Array<{
    steps: Array<Record<string, unknown>>;
    resps: string[][];
    out: { ok?: unknown[]; error?: string };
  }>;
};

function steps(list: Array<Record<string, unknown>>): FilterStepSpec[] {
  return list.map(({ function: fn, ...kwargs }) => ({ function: fn as string, kwargs }));
}

function run(list: Array<Record<string, unknown>>, resps: string[][], docs: Doc[]): { ok?: unknown[]; error?: string } {
  try {
    return { ok: applyFilterEnsemble(buildFilterEnsemble("p", steps(list)), resps, docs) };
  } catch (e) {
    if (e instanceof ModelmapError) return { error: e.message };
    throw e;
  }
}

test("regex filter: every case equals lm-eval's RegexFilter", () => {
  assert.ok(REF.regex.length >= 7);
  for (const c of REF.regex) {
    const got = run(
      [{ function: "regex", ...c.kwargs }],
      c.resps,
      c.resps.map(() => ({})),
    );
    assert.deepEqual(got, c.out, JSON.stringify(c.kwargs));
  }
});

test("multi_choice_regex: every case equals lm-eval's MultiChoiceRegexFilter", () => {
  assert.ok(REF.multi_choice_regex.length >= 4);
  for (const c of REF.multi_choice_regex) {
    const got = run([{ function: "multi_choice_regex", ...c.kwargs }], c.resps, c.docs);
    assert.deepEqual(got, c.out, JSON.stringify(c.kwargs));
  }
});

test("take_first, take_first_k, majority_vote, lowercase, uppercase, map, remove_whitespace pipelines equal lm-eval's", () => {
  assert.ok(REF.pipelines.length >= 9);
  for (const c of REF.pipelines) {
    const got = run(
      c.steps,
      c.resps,
      c.resps.map(() => ({})),
    );
    assert.deepEqual(got, c.out, JSON.stringify(c.steps));
  }
});

test("filters: bad arguments and unknown names are clear errors", () => {
  assert.throws(
    () => buildFilterEnsemble("p", [{ function: "regex", kwargs: { regex: "x" } }]),
    /filter 'regex': bad arguments: .*regex/,
  );
  assert.throws(() => buildFilterEnsemble("p", [{ function: "take_first_k", kwargs: {} }]), /take_first_k/);
  assert.throws(
    () => buildFilterEnsemble("p", [{ function: "nope" }]),
    /unknown filter 'nope' \(known: .*majority_vote/,
  );
  const twoMatches = buildFilterEnsemble("p", [
    { function: "regex", kwargs: { regex_pattern: "\\d", group_select: 5 } },
  ]);
  assert.throws(() => applyFilterEnsemble(twoMatches, [["1 2"]], [{}]), /index 5 out of range/);
});

test("applyFilter keeps its single-response form (modelmap's shipped tasks)", () => {
  const flex = {
    name: "flexible-extract",
    filter: [
      { function: "regex" as const, regex_pattern: "(-?[$0-9.,]{2,})|(-?[0-9]+)", group_select: -1 },
      { function: "take_first" as const },
    ],
  };
  assert.equal(applyFilter("She makes 9 * 2 = $18 every day.", flex), "$18");
  assert.equal(
    applyFilter("  x  ", { name: "w", filter: [{ function: "remove_whitespace" }, { function: "take_first" }] }),
    "x",
  );
});
