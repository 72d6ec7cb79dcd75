import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { analyzeExperiment } from "./analyze.ts";
import { badRowsError, parseCsvExperiments, parseExperiments, parseJsonl } from "./format.ts";

const exp = (over: Record<string, unknown> = {}, variants?: Array<Record<string, unknown>>) =>
  JSON.stringify({
    experiment: "e1",
    start: "2025-01-01",
    end: "2025-01-14",
    category: "Coding",
    metric: "success",
    kind: "proportion",
    variants: variants ?? [
      { name: "control", model: "org/a", units: 1000, successes: 100 },
      { name: "treatment", model: "org/b", units: 1000, successes: 150 },
    ],
    ...over,
  });

test("the shipped example parses: four experiments, every kind", () => {
  const p = parseExperiments(readFileSync("fixtures/ab/experiments.jsonl", "utf8"), "experiments.jsonl");
  assert.deepEqual(p.bad, []);
  assert.deepEqual(
    p.experiments.map((e) => [e.id, e.kind, e.variants.length, e.line]),
    [
      ["code-assist-01", "proportion", 2, 2],
      ["code-assist-02", "proportion", 3, 3],
      ["chat-tone-03", "mean", 2, 4],
      ["chat-clicks-04", "ratio", 2, 5],
    ],
  );
});

test("JSONL: a valid line becomes an experiment; category is lower-cased, higher_is_better defaults to true", () => {
  const p = parseJsonl(`${exp()}\n\n# comment\n`);
  assert.deepEqual(p.bad, []);
  const e = p.experiments[0]!;
  assert.equal(e.category, "coding");
  assert.equal(e.higherIsBetter, true);
  assert.equal(e.variants[1]?.successes, 150);
  const a = analyzeExperiment(e);
  assert.equal(a.outcomes[0]?.winner, "org/b");
  assert.equal(a.srm.flagged, false);
});

test("JSONL: each bad row is reported with its line and field", () => {
  const lines = [
    exp(),
    "{not json",
    exp({ experiment: "e2", kind: "mean" }),
    exp({ experiment: "e3", end: "2024-12-01" }),
    exp({ experiment: "e4" }, [
      { name: "a", model: "org/a", units: 10, successes: 11 },
      { name: "a", model: "org/b", units: 0, successes: 1 },
    ]),
    exp({ experiment: "e5", bogus: 1 }),
    exp(),
    exp({ experiment: "e6", kind: "ratio" }, [
      {
        name: "a",
        model: "m",
        units: 10,
        numerator_mean: 1,
        denominator_mean: 2,
        numerator_sd: 1,
        denominator_sd: 1,
        covariance: 3,
      },
      {
        name: "b",
        model: "n",
        units: 10,
        numerator_mean: 1,
        denominator_mean: 0,
        numerator_sd: 1,
        denominator_sd: 1,
        covariance: 0,
      },
    ]),
    exp({ experiment: "e7" }, [
      { name: "a", model: "m", units: 10, successes: 1, planned_share: 0.5 },
      { name: "b", model: "n", units: 10, successes: 1 },
    ]),
  ];
  const p = parseJsonl(lines.join("\n"));
  const at = (line: number) => p.bad.filter((b) => b.line === line).map((b) => `${b.field ?? ""}: ${b.message}`);
  assert.match(at(2)[0]!, /not valid JSON/);
  assert.deepEqual(at(3).sort(), [
    "variants[0].mean: required for kind 'mean'",
    "variants[0].sd: required for kind 'mean'",
    "variants[0].successes: not a field of kind 'mean' (it needs mean, sd)",
    "variants[1].mean: required for kind 'mean'",
    "variants[1].sd: required for kind 'mean'",
    "variants[1].successes: not a field of kind 'mean' (it needs mean, sd)",
  ]);
  assert.deepEqual(at(4), ["end: ends (2024-12-01) before it starts (2025-01-01)"]);
  assert.ok(
    at(5).some((m) => /^variants\[1\]\.units: /.test(m)),
    at(5).join("\n"),
  );
  assert.ok(at(5).includes("variants[0].successes: more successes (11) than units (10)"));
  assert.ok(at(5).includes("variants[1].name: duplicate variant 'a'"));
  assert.match(at(6)[0]!, /bogus/);
  assert.deepEqual(at(7), ["experiment: experiment 'e1' already given on line 1"]);
  assert.ok(at(8).some((m) => m.startsWith("variants[0].covariance: |covariance| 3 exceeds")));
  assert.ok(at(8).includes("variants[1].denominator_mean: a ratio's denominator mean cannot be 0"));
  assert.deepEqual(at(9), [
    "variants[1].planned_share: give planned_share for every variant or for none (none = an equal split)",
  ]);
  assert.deepEqual(
    p.experiments.map((e) => e.id),
    ["e1"],
  );
  const err = badRowsError("x.jsonl", p.bad);
  assert.equal(err.code, "input");
  assert.match(err.message, /^x\.jsonl, line 2: not valid JSON.*problems in the file; nothing was stored\)$/);
  assert.match(err.hint ?? "", /line 3, field 'variants\[0\]\.mean': required for kind 'mean'/);
});

const CSV_HEAD = "experiment,start,end,category,metric,kind,variant,model,preset,planned_share,units,successes";

test("CSV: one row per variant, grouped by experiment in file order; errors name the row and column", () => {
  const good = parseCsvExperiments(
    [
      CSV_HEAD,
      "x1,2025-01-01,2025-01-10,coding,success,proportion,control,org/a,p1,0.5,1000,100",
      "x2,2025-02-01,2025-02-10,chat,success,proportion,control,org/a,,,500,50",
      "x1,2025-01-01,2025-01-10,coding,success,proportion,treat,org/b,p1,0.5,990,150",
      "x2,2025-02-01,2025-02-10,chat,success,proportion,treat,org/c,,,510,40",
    ].join("\n"),
    "f.csv",
  );
  assert.deepEqual(good.bad, []);
  assert.deepEqual(
    good.experiments.map((e) => [e.id, e.line, e.variants.map((v) => `${v.name}:${v.model}:${v.preset ?? "-"}`)]),
    [
      ["x1", 2, ["control:org/a:p1", "treat:org/b:p1"]],
      ["x2", 3, ["control:org/a:-", "treat:org/c:-"]],
    ],
  );
  const bad = parseCsvExperiments(
    [
      CSV_HEAD,
      "x1,2025-01-01,2025-01-10,coding,success,proportion,control,org/a,,,1000,100",
      "x1,2025-01-01,2025-01-11,coding,success,proportion,treat,org/b,,,990,1500",
      "x2,2025-02-01,2025-02-10,chat,success,proportion,control,org/a,,,five,50",
      "x2,2025-02-01,2025-02-10,chat,success,proportion,,org/c,,,510,40",
    ].join("\n"),
    "f.csv",
  );
  const msgs = bad.bad.map((b) => `${b.line} ${b.field}: ${b.message}`);
  assert.ok(
    msgs.includes("3 end: '2025-01-11' differs from '2025-01-10' on line 2, the experiment's first row"),
    msgs.join("\n"),
  );
  assert.ok(msgs.includes("3 successes: more successes (1500) than units (990)"), msgs.join("\n"));
  assert.ok(msgs.includes("4 units: expected a number, got 'five'"), msgs.join("\n"));
  assert.ok(
    msgs.some((m) => m.startsWith("5 variant: ")),
    msgs.join("\n"),
  );
  assert.throws(
    () => parseCsvExperiments("experiment,category\nx,y\n", "g.csv"),
    /g\.csv, line 1: not an A\/B experiments CSV: missing column/,
  );
  assert.throws(() => parseCsvExperiments(`${CSV_HEAD},colour\n`, "h.csv"), /unknown column\(s\) colour/);
});
