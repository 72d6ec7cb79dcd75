import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createRng } from "../src/core/rng.ts";
import { kendallTauB } from "../src/stats/agreement.ts";
import { sampleBinomial } from "../src/stats/binomial.ts";
import { runCaptured } from "./support/cli.ts";

/**
 * Planted truth: eight models with known per-category strengths. Online experiments are simulated from them
 * (seeded): every pair meets three times per category, with a proportion metric in coding and a mean metric in math,
 * plus one coding experiment whose assignment is broken (a sample-ratio mismatch) and whose effect points the
 * wrong way. Two public-style benchmarks are made from the same strengths: HumanEval tracks coding, GSM8K
 * ranks the math strengths in reverse. The A/B ordering must recover the truth, the SRM must be flagged and
 * left out, and the meta-evaluation must find HumanEval agreeing with the A/B reference and GSM8K reversed.
 */
const MODELS = Array.from({ length: 8 }, (_, i) => `planted/model-${i}`);
const CODING = [1.2, 0.9, 0.6, 0.3, 0, -0.3, -0.6, -0.9];
const MATH = [-0.6, 0.9, -0.9, 1.2, 0.3, -0.3, 0.6, 0];

function simulate(dir: string): { experiments: string; benchmarks: string } {
  const rng = createRng(2025);
  const lines: string[] = [];
  let day = 0;
  const date = (d: number) => new Date(Date.UTC(2025, 0, 1 + d)).toISOString().slice(0, 10);
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < MODELS.length; i++) {
      for (let j = i + 1; j < MODELS.length; j++) {
        const n = 20000;
        const arm = (m: number, name: string) => {
          const p = 1 / (1 + Math.exp(-(-0.5 + 0.15 * (CODING[m] as number))));
          return { name, model: MODELS[m], preset: "sys-v1", units: n, successes: sampleBinomial(n, p, rng) };
        };
        lines.push(
          JSON.stringify({
            experiment: `coding-${i}-${j}-${round}`,
            start: date(day),
            end: date(day + 6),
            category: "coding",
            metric: "task_success",
            kind: "proportion",
            variants: [arm(i, "control"), arm(j, "treatment")],
          }),
        );
        const units = 5000;
        const mean = (m: number, name: string) => {
          let sum = 0;
          let sq = 0;
          for (let u = 0; u < units; u++) {
            const x = 5 + 0.4 * (MATH[m] as number) + 4 * rng.normal();
            sum += x;
            sq += x * x;
          }
          const mu = sum / units;
          return { name, model: MODELS[m], units, mean: mu, sd: Math.sqrt((sq - units * mu * mu) / (units - 1)) };
        };
        lines.push(
          JSON.stringify({
            experiment: `math-${i}-${j}-${round}`,
            start: date(day),
            end: date(day + 6),
            category: "math",
            metric: "solved_per_session",
            kind: "mean",
            variants: [mean(i, "control"), mean(j, "treatment")],
          }),
        );
        day++;
      }
    }
  }
  // Broken assignment: 20000 vs 18000 units under a planned 50/50 split, and the worst model "wins" big.
  lines.push(
    JSON.stringify({
      experiment: "coding-srm",
      start: date(40),
      end: date(45),
      category: "coding",
      metric: "task_success",
      kind: "proportion",
      variants: [
        { name: "control", model: MODELS[0], units: 20000, successes: 6000, planned_share: 0.5 },
        { name: "treatment", model: MODELS[7], units: 18000, successes: 9000, planned_share: 0.5 },
      ],
    }),
  );
  const bench = ["Model,HumanEval,GSM8K"];
  MODELS.forEach((m, i) => {
    const he = 0.5 + 0.12 * (CODING[i] as number) + 0.005 * rng.normal();
    const gsm = 0.5 - 0.12 * (MATH[i] as number) + 0.005 * rng.normal();
    bench.push(`${m},${he.toFixed(4)},${gsm.toFixed(4)}`);
  });
  const experiments = join(dir, "experiments.jsonl");
  const benchmarks = join(dir, "planted_benchmarks.csv");
  writeFileSync(experiments, `${lines.join("\n")}\n`);
  writeFileSync(benchmarks, `${bench.join("\n")}\n`);
  return { experiments, benchmarks };
}

test("planted truth: A/B orderings, SRM, and the meta-evaluation finds the agreeing and the reversed signal", async () => {
  const dir = mkdtempSync(join(tmpdir(), "modelmap-ab-meta-"));
  const db = join(dir, "m.db");
  const cli = (...args: string[]) => runCaptured(["--db", db, ...args], { env: {}, cwd: dir });
  try {
    const { experiments, benchmarks } = simulate(dir);
    let r = await cli("ab", "import", experiments, "--json");
    assert.equal(r.code, 0, r.err);
    const imported = JSON.parse(r.out) as {
      inserted: number;
      srm: Array<{ id: string; p: number }>;
      orderings: Array<{
        category: string;
        srmExcluded: number;
        ranking: { models: Array<{ model: string; rating: number }> };
      }>;
    };
    assert.equal(imported.inserted, 169);
    assert.deepEqual(
      imported.srm.map((s) => s.id),
      ["coding-srm"],
    );
    assert.ok((imported.srm[0]?.p ?? 1) < 1e-20);
    for (const [category, truth] of [
      ["coding", CODING],
      ["math", MATH],
    ] as const) {
      const o = imported.orderings.find((x) => x.category === category)!;
      const rating = new Map(o.ranking.models.map((m) => [m.model, m.rating]));
      const tau = kendallTauB(
        MODELS.map((m) => rating.get(m) ?? Number.NaN),
        [...truth],
      );
      assert.ok(tau > 0.8, `${category}: the A/B ordering recovers the planted strengths (tau ${tau})`);
    }
    assert.equal(imported.orderings.find((x) => x.category === "coding")?.srmExcluded, 1);

    r = await cli("ab", "show", "coding-srm");
    assert.match(r.out, /sample ratio: chi-square \d+\.\d+ \(1 df\), p = [\d.e-]+: MISMATCH/);
    assert.match(r.out, /outcome: SRM: not trusted/);
    r = await cli("ab", "list", "--category", "coding");
    assert.equal(r.out.trim().split("\n").length, 1 + 85);
    assert.match(r.out, /coding-srm .* SRM!/);

    r = await cli("import", "obs-scaling", benchmarks);
    assert.equal(r.code, 0, r.err);

    const out = join(dir, "meta.json");
    r = await cli("meta", "humaneval", "gsm8k", "--reference", "ab", "--out", out);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /reference ab-tests\/ab-bt:coding \(coding\): 8 models/);
    assert.match(r.out, /agrees best with ab-tests\/ab-bt:coding: obs-scaling:planted_benchmarks\/humaneval/);
    assert.match(r.out, /ranks models against the reference: obs-scaling:planted_benchmarks\/gsm8k/);
    const report = JSON.parse(readFileSync(out, "utf8")) as {
      blocks: Array<{
        reference: { category: string };
        rows: Array<{
          signal: string;
          verdict: string;
          kendall: { estimate: number; lower: number; upper: number };
          agreement: { score: number; pairs: number };
          brier: number;
        }>;
      }>;
    };
    const row = (category: string, metric: string) =>
      report.blocks
        .find((b) => b.reference.category === category)!
        .rows.find((x) => x.signal === `obs-scaling:planted_benchmarks/${metric}`)!;
    const he = row("coding", "humaneval");
    assert.equal(he.verdict, "agrees");
    assert.ok(he.kendall.estimate > 0.7 && he.kendall.lower > 0, JSON.stringify(he.kendall));
    assert.ok(he.agreement.pairs > 0 && he.agreement.score > 0, JSON.stringify(he.agreement));
    const gsm = row("math", "gsm8k");
    assert.equal(gsm.verdict, "reversed");
    assert.ok(gsm.kendall.estimate < -0.7 && gsm.kendall.upper < 0, JSON.stringify(gsm.kendall));
    assert.ok(gsm.agreement.pairs > 0 && gsm.agreement.score < 0, JSON.stringify(gsm.agreement));
    assert.ok(gsm.brier > he.brier, `brier ${gsm.brier} (reversed) vs ${he.brier} (agreeing)`);
    // Across categories the benchmarks do not track the other category's reference.
    assert.notEqual(row("coding", "gsm8k").verdict, "agrees");

    // Search in math now ranks on the A/B evidence alone: GSM8K's weight is 0, so the top model is the strongest.
    r = await cli("search", "math", "--json");
    const s = JSON.parse(r.out) as {
      results: Array<{ modelId: string; sources: string[] }>;
      agreement: { reference: string; weights: Array<{ signal: string; weight: number; basis: string }> };
    };
    assert.equal(s.agreement.reference, "ab-tests/ab-bt:math");
    assert.deepEqual(
      s.agreement.weights.find((w) => w.signal.endsWith("/gsm8k")),
      { signal: "obs-scaling:planted_benchmarks/gsm8k", weight: 0, basis: "measured" },
    );
    assert.equal(s.results[0]?.modelId, MODELS[3]);
    assert.deepEqual(s.results[0]?.sources, ["ab-tests"]);
    r = await cli("search", "math");
    assert.match(r.out, /ranked on evidence weighted by agreement with ab-tests\/ab-bt:math/);
    assert.match(r.out, /rank against it: obs-scaling:planted_benchmarks\/gsm8k \(Kendall -[01]\.\d+\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ab import: a bad row stops the import with file, line and field, exit 2, and nothing is stored", async () => {
  const dir = mkdtempSync(join(tmpdir(), "modelmap-ab-bad-"));
  const db = join(dir, "m.db");
  const cli = (...args: string[]) => runCaptured(["--db", db, ...args], { env: {}, cwd: dir });
  try {
    const good = {
      experiment: "ok-1",
      start: "2025-01-01",
      end: "2025-01-02",
      category: "chat",
      metric: "thumbs_up",
      kind: "proportion",
      variants: [
        { name: "a", model: "m/a", units: 100, successes: 10 },
        { name: "b", model: "m/b", units: 100, successes: 30 },
      ],
    };
    const bad = { ...good, experiment: "bad-2", variants: [good.variants[0], { ...good.variants[1], units: -5 }] };
    const file = join(dir, "mixed.jsonl");
    writeFileSync(file, `${JSON.stringify(good)}\n${JSON.stringify(bad)}\n`);
    let r = await cli("ab", "import", file);
    assert.equal(r.code, 2);
    assert.match(r.err, /mixed\.jsonl, line 2, field 'variants\[1\]\.units': .*nothing was stored/);
    r = await cli("ab", "list");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /no experiments stored/);
    r = await cli("search", "chat");
    assert.equal(r.code, 2, "nothing reached the map either");

    const csv = join(dir, "bad.csv");
    writeFileSync(
      csv,
      "experiment,start,end,category,metric,kind,variant,model,units,successes\nx,2025-01-01,2025-01-02,chat,s,proportion,a,m/a,100,10\nx,2025-01-01,2025-01-02,chat,s,proportion,b,m/b,100,abc\n",
    );
    r = await cli("ab", "import", csv);
    assert.equal(r.code, 2);
    assert.match(r.err, /bad\.csv, line 3, field 'successes': expected a number, got 'abc'/);
    r = await cli("ab", "show", "x");
    assert.equal(r.code, 2);
    assert.match(r.err, /no experiment 'x'/);
    r = await cli("meta", "humaneval", "--reference", "nope");
    assert.equal(r.code, 2);
    assert.match(r.err, /reference 'nope' is not on the map/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
