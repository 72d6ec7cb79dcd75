import { resolve } from "node:path";
import type { CategoryAgreement } from "../../capmap/agreement-weights.ts";
import { ModelmapError } from "../../core/errors.ts";
import { checkOutputFile, writeUserFile } from "../../core/files.ts";
import { availableSignals, type MetaBlock, metaEvaluate } from "../../meta/service.ts";
import { type Command, parseFlags, parseNumberFlag } from "../command.ts";

/** Columns padded to their widest cell (the CLI's plain-text tables). */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return `${rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}

export const f2 = (x: number | null | undefined) =>
  x === null || x === undefined || Number.isNaN(x) ? "-" : x.toFixed(2);
export const pct = (x: number | null | undefined) =>
  x === null || x === undefined || Number.isNaN(x) ? "-" : `${(100 * x).toFixed(0)}%`;
export const ci = (c: { estimate: number; lower: number; upper: number } | null) =>
  c ? `${f2(c.estimate)} [${f2(c.lower)}, ${f2(c.upper)}]` : "-";

/** The meta-evaluation table of one reference, best-agreeing signal first. */
export function renderMetaBlock(b: MetaBlock): string {
  const r = b.reference;
  const lines = [`reference ${r.signal} (${r.category}): ${r.models} models, separability ${pct(r.separability)}`];
  const rows = [
    ["signal", "models", "Spearman [95% CI]", "Kendall [95% CI]", "separ.", "agree.CI", "Brier", "BB z", "verdict"],
  ];
  const sorted = [...b.rows].sort((x, y) => (y.kendall?.estimate ?? -2) - (x.kendall?.estimate ?? -2));
  for (const s of sorted)
    rows.push([
      s.signal,
      String(s.models),
      ci(s.spearman),
      ci(s.kendall),
      pct(s.separability),
      f2(s.agreement?.score),
      f2(s.brier),
      f2(s.benchbench?.z),
      s.verdict,
    ]);
  lines.push(table(rows).trimEnd());
  const best = sorted.find((s) => s.kendall);
  if (best) lines.push(`agrees best with ${r.signal}: ${best.signal} (Kendall ${f2(best.kendall?.estimate)})`);
  const reversed = sorted.filter((s) => s.verdict === "reversed").map((s) => s.signal);
  if (reversed.length) lines.push(`ranks models against the reference: ${reversed.join(", ")}`);
  return `${lines.join("\n")}\n`;
}

/** What search prints under a category that has a reference: who agrees with it and how evidence was weighted. */
export function renderAgreement(a: CategoryAgreement): string {
  const list = (verdict: string) =>
    a.signals
      .filter((s) => s.verdict === verdict)
      .map((s) => `${s.signal} (Kendall ${f2(s.kendall)})`)
      .join(", ") || "none";
  const lines = [
    `ranked on evidence weighted by agreement with ${a.reference} ('modelmap meta', ${a.measuredAt.slice(0, 10)}):`,
    `  agree with it: ${list("agrees")}`,
    `  rank against it: ${list("reversed")}`,
    `  weights here: ${a.weights.map((w) => `${w.signal} ${w.weight.toFixed(2)}${w.basis === "measured" ? "" : ` (${w.basis})`}`).join(", ")}`,
  ];
  if (a.droppedModels > 0)
    lines.push(`  ${a.droppedModels} model(s) left out: their only evidence here disagrees with the reference`);
  return `${lines.join("\n")}\n`;
}

export const metaCommand: Command = {
  name: "meta",
  summary: "which signal to trust: agreement of benchmarks, judges and votes with a reference (A/B, arena)",
  usage: `usage: modelmap meta [SIGNAL...] --reference REF [--category C] [--out FILE] [--json]
                     [--seed S] [--bootstrap N] [--min-models N] [--no-save]
       modelmap meta --list

Measures how well each SIGNAL reproduces the reference's ranking on the models both cover, per reference
category: Spearman and Kendall correlations with bootstrap 95% intervals (resampling models), Arena-Hard's
separability, agreement with 95% CI and pair-rank Brier score, and BenchBench's agreement z-score among the
signals. A signal or reference is SOURCE/METRIC (e.g. open-llm-leaderboard-v2/ifeval), a source (all its
metrics), a metric name (in every source), 'ab' (the A/B orderings) or 'arena' (Chatbot Arena ratings).
Without SIGNALs, every signal sharing at least --min-models models with the reference is measured.
The report is kept, and 'modelmap search' in the reference's category then weights evidence by it
(docs/capability-map.md).
  --reference REF  the ranking to trust (required)
  --category C     only the reference's metric in this category
  --out FILE       write the report as JSON (default meta-report.json)
  --json           print the JSON instead of the table
  --seed S         seed of the bootstraps and subsets (default 42)
  --bootstrap N    bootstrap rounds (default 1000)
  --min-models N   fewest shared models to measure a signal (default 5)
  --no-save        do not keep the report for search
  --list           list the signals on the map`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("meta", argv, {
      reference: { type: "string" },
      category: { type: "string" },
      out: { type: "string" },
      json: { type: "boolean" },
      seed: { type: "string" },
      bootstrap: { type: "string" },
      "min-models": { type: "string" },
      save: { type: "boolean" },
      list: { type: "boolean" },
    });
    if (values.list) {
      const rows = [["signal", "kind", "category", "models"]];
      for (const s of await availableSignals(await ctx.store()))
        rows.push([s.name, s.kind, s.category, String(s.models)]);
      ctx.stdout.write(rows.length > 1 ? table(rows) : "the map is empty\n");
      return 0;
    }
    if (!values.reference)
      throw new ModelmapError("usage", "meta: --reference is required", {
        hint: "e.g. --reference ab or --reference arena",
      });
    // Before the work: a report that cannot be written is found out now, not after the bootstraps.
    checkOutputFile(resolve(ctx.cwd, values.out ?? "meta-report.json"), "--out");
    const report = await metaEvaluate(await ctx.store(), {
      signals: positionals,
      reference: values.reference,
      category: values.category,
      seed: parseNumberFlag("meta", "--seed", values.seed, { int: true, min: 0, max: 2 ** 31 }),
      bootstrap: parseNumberFlag("meta", "--bootstrap", values.bootstrap, { int: true, min: 0, max: 100000 }),
      minModels: parseNumberFlag("meta", "--min-models", values["min-models"], { int: true, min: 3 }),
      save: values.save ?? true,
    });
    const json = `${JSON.stringify(report, null, 2)}\n`;
    const out = resolve(ctx.cwd, values.out ?? "meta-report.json");
    writeUserFile(out, json, "--out");
    if (values.json) {
      ctx.stdout.write(json);
      return 0;
    }
    ctx.stdout.write(`${report.blocks.map(renderMetaBlock).join("\n")}\nwrote ${out}\n`);
    return 0;
  },
};

/** Meta-evaluation of signals (issue 17). */
export const META_COMMANDS: Command[] = [metaCommand];
