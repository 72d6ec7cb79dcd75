/**
 * Answer extraction on real model outputs: OpenAI's GPT-3 GSM8K solutions, each labelled correct or incorrect by
 * the dataset's authors, end in "A: n" rather than the "#### n" the few-shot format teaches. The strict filter
 * scores every one of them zero (the silent failure leaderboard users complain about); the flexible filter,
 * reported side by side, recovers the authors' labels.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadRegistry } from "../src/runner/service.ts";
import { applyFilter } from "../src/tasks/filters.ts";
import { exactMatch } from "../src/tasks/metrics.ts";

const DIR = join(import.meta.dirname, "..", "..", "shared", "data", "gsm8k");

test("GSM8K strict vs flexible extraction against labelled GPT-3 solutions", () => {
  assert.ok(existsSync(DIR), `shared data missing at ${DIR}: the tests read real datasets from ../shared/data`);
  const gsm = loadRegistry().tasks.get("gsm8k")?.config ?? assert.fail("gsm8k task missing");
  const [strict, flexible] = gsm.filter_list ?? [];
  const em = gsm.metric_list?.[0] ?? assert.fail("no metric");
  assert.equal(strict?.name, "strict-match");
  assert.equal(flexible?.name, "flexible-extract");
  const targets = new Map<string, string>();
  for (const line of readFileSync(join(DIR, "test.jsonl"), "utf8").trim().split("\n")) {
    const d = JSON.parse(line) as { question: string; answer: string };
    targets.set(d.question, d.answer);
  }
  let n = 0;
  let strictHits = 0;
  let agree = 0;
  let labelledCorrect = 0;
  for (const line of readFileSync(join(DIR, "example_model_solutions.jsonl"), "utf8").trim().split("\n")) {
    const row = JSON.parse(line) as Record<string, unknown> & { question: string };
    const target = targets.get(row.question) ?? assert.fail(`no test item for: ${row.question.slice(0, 40)}`);
    for (const [k, v] of Object.entries(row)) {
      if (!v || typeof v !== "object" || !("solution" in v)) continue;
      const s = v as { solution: string; is_correct: boolean };
      n++;
      if (s.is_correct) labelledCorrect++;
      strictHits += exactMatch(applyFilter(s.solution, strict as NonNullable<typeof strict>), target, em);
      const flex = exactMatch(applyFilter(s.solution, flexible as NonNullable<typeof flexible>), target, em);
      if ((flex === 1) === s.is_correct) agree++;
      else if (process.env.MODELMAP_DEBUG) console.log(k, s.is_correct, JSON.stringify(s.solution.slice(-60)));
    }
  }
  assert.equal(n, 1319 * 4);
  assert.ok(labelledCorrect > 1000, `${labelledCorrect} solutions are labelled correct`);
  assert.equal(strictHits, 0, "no solution uses '#### n', so strict extraction scores every one zero");
  assert.equal(agree, n, "flexible extraction agrees with the authors' labels on every solution");
});
