import type { CategoryOrdering, ExperimentAnalysis } from "../../ab/analyze.ts";
import { SRM_ALPHA } from "../../ab/analyze.ts";
import { abOrderings, analyzedExperiments, importExperiments, requireExperiment } from "../../ab/service.ts";
import { ModelmapError } from "../../core/errors.ts";
import { formatP } from "../../core/format.ts";
import { type Command, parseFlags, parseNumberFlag } from "../command.ts";
import { table } from "./meta.ts";

const signed = (x: number, digits: number) => `${x >= 0 ? "+" : ""}${x.toFixed(digits)}`;
const pval = formatP;

function orderingOptions(command: string, values: { bootstrap?: string | undefined; seed?: string | undefined }) {
  return {
    bootstrap: parseNumberFlag(command, "--bootstrap", values.bootstrap, { int: true, min: 0, max: 100000 }),
    seed: parseNumberFlag(command, "--seed", values.seed, { int: true, min: 0 }),
  };
}

function renderOrderings(orderings: CategoryOrdering[]): string {
  const out: string[] = [];
  for (const o of orderings) {
    const head = `${o.category}: ${o.experiments} experiment(s), ${o.outcomes} decisive model outcome(s)${
      o.srmExcluded ? `, ${o.srmExcluded} left out for a sample-ratio mismatch` : ""
    }`;
    out.push(head);
    if (!o.ranking) {
      out.push("  no ordering: decisive outcomes between at least two models are needed\n");
      continue;
    }
    const rows = [["rank", "model", "rating", "95% CI", "wins", "losses"]];
    for (const m of o.ranking.models)
      rows.push([
        String(m.rank),
        m.model,
        m.rating.toFixed(0),
        `[${m.ci_lower.toFixed(0)}, ${m.ci_upper.toFixed(0)}]`,
        String(m.wins),
        String(m.losses),
      ]);
    out.push(table(rows).replace(/^/gm, "  ").trimEnd());
    for (const w of o.ranking.warnings) out.push(`  note: ${w}`);
    out.push("");
  }
  return `${out.join("\n")}\n`;
}

export const abImportCommand: Command = {
  name: "ab import",
  summary: "import online experiments (A/B tests): effects, sample-ratio checks, orderings per category",
  usage: `usage: modelmap ab import FILE [--bootstrap N] [--seed S] [--json]

Reads experiments from FILE, JSONL (one experiment per line) or CSV (one row per variant); the formats are in
docs/ab-testing.md. Any bad row stops the import (exit 2) with its line and field, and nothing is stored.
An experiment id already stored is replaced. After the import, every category's Bradley-Terry ordering of
models is recomputed from the decisive experiments and published to the map as the 'ab-tests' source.
  --bootstrap N   bootstrap rounds for the orderings' intervals (default 1000)
  --seed S        bootstrap seed (default 42)
  --json          print the summary as JSON`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("ab import", argv, {
      bootstrap: { type: "string" },
      seed: { type: "string" },
      json: { type: "boolean" },
    });
    if (positionals.length !== 1) throw new ModelmapError("usage", "ab import: expected one FILE");
    const r = await importExperiments(
      await ctx.store(),
      positionals[0] as string,
      orderingOptions("ab import", values),
    );
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return 0;
    }
    ctx.stdout.write(
      `imported ${r.inserted + r.replaced} experiment(s) from ${r.file} (${r.format}; ${r.replaced} replaced earlier versions)\n`,
    );
    for (const s of r.srm)
      ctx.stdout.write(
        `  SRM: ${s.id}: units do not match the planned split (chi-square ${s.chi2.toFixed(1)}, p = ${pval(s.p)} < ${SRM_ALPHA}); left out of the ordering\n`,
      );
    ctx.stdout.write(`\n${renderOrderings(r.orderings)}`);
    return 0;
  },
};

function outcomeText(a: ExperimentAnalysis): string {
  if (a.srm.flagged) return "SRM: not trusted";
  if (a.outcomes.length === 0) return "no detectable difference";
  return a.outcomes.map((o) => `${o.winner} > ${o.loser}`).join("; ");
}

export const abListCommand: Command = {
  name: "ab list",
  summary: "list stored experiments with their outcome and sample-ratio check",
  usage: `usage: modelmap ab list [--category C] [--json]`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("ab list", argv, {
      category: { type: "string" },
      json: { type: "boolean" },
    });
    if (positionals.length > 0) throw new ModelmapError("usage", "ab list: no positional arguments");
    const list = await analyzedExperiments(await ctx.store(), values.category?.toLowerCase());
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return 0;
    }
    if (list.length === 0) {
      ctx.stdout.write("no experiments stored; import some with 'modelmap ab import FILE'\n");
      return 0;
    }
    const rows = [["experiment", "category", "metric", "dates", "variants", "srm p", "outcome"]];
    for (const a of list)
      rows.push([
        a.id,
        a.category,
        a.metric,
        `${a.start.slice(0, 10)}..${a.end.slice(0, 10)}`,
        String(a.variants.length),
        `${pval(a.srm.p)}${a.srm.flagged ? " SRM!" : ""}`,
        outcomeText(a),
      ]);
    ctx.stdout.write(table(rows));
    return 0;
  },
};

function valueDigits(a: ExperimentAnalysis): number {
  const max = Math.max(...a.variants.map((v) => Math.abs(v.value)));
  return max >= 100 ? 1 : max >= 1 ? 3 : 4;
}

export const abShowCommand: Command = {
  name: "ab show",
  summary: "one experiment: variants, effects with 95% intervals, sample-ratio check, implied outcome",
  usage: `usage: modelmap ab show EXPERIMENT [--json]`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("ab show", argv, { json: { type: "boolean" } });
    if (positionals.length !== 1) throw new ModelmapError("usage", "ab show: expected one EXPERIMENT id");
    const { experiment, analysis: a } = await requireExperiment(await ctx.store(), positionals[0] as string);
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify({ experiment, analysis: a }, null, 2)}\n`);
      return 0;
    }
    const d = valueDigits(a);
    const lines = [
      `experiment ${a.id} (${a.category}), ${a.start} .. ${a.end}`,
      `metric ${a.metric}: ${a.kind}, ${a.higherIsBetter ? "higher" : "lower"} is better${experiment.file ? `; from ${experiment.file}:${experiment.line ?? "?"}` : ""}`,
      "",
    ];
    const rows = [["variant", "model", "preset", "units", "planned", a.metric, "95% CI"]];
    for (const v of a.variants)
      rows.push([
        v.name,
        v.modelId === v.model ? v.model : `${v.model} (${v.modelId})`,
        v.preset ?? "-",
        String(v.units),
        `${(100 * v.plannedShare).toFixed(1)}%`,
        v.value.toFixed(d),
        `[${(v.value - 1.959964 * v.se).toFixed(d)}, ${(v.value + 1.959964 * v.se).toFixed(d)}]`,
      ]);
    lines.push(table(rows).trimEnd(), "", "effects (second minus first, 95% interval):");
    for (const e of a.effects) {
      const verdict = e.better === null ? "no detectable difference" : `${e.better === "a" ? e.a : e.b} better`;
      const rel = Number.isFinite(e.relative) ? ` (${signed(100 * e.relative, 1)}%)` : "";
      lines.push(
        `  ${e.b} - ${e.a}: ${signed(e.effect.estimate, d)} [${signed(e.effect.lower, d)}, ${signed(e.effect.upper, d)}]${rel}, p = ${pval(e.effect.p)}: ${verdict}`,
      );
    }
    lines.push(
      "",
      `sample ratio: chi-square ${a.srm.chi2.toFixed(2)} (${a.srm.df} df), p = ${pval(a.srm.p)}: ${
        a.srm.flagged
          ? `MISMATCH (p < ${SRM_ALPHA}): assignment or logging is broken; the effects are not trusted`
          : "ok"
      }`,
      `outcome: ${outcomeText(a)}`,
    );
    for (const n of a.notes) if (!n.startsWith("sample-ratio mismatch")) lines.push(`note: ${n}`);
    ctx.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  },
};

export const abRankingCommand: Command = {
  name: "ab ranking",
  summary: "Bradley-Terry ordering of models per category from the decisive experiments",
  usage: `usage: modelmap ab ranking [--category C] [--bootstrap N] [--seed S] [--json]

Each decisive model-vs-model outcome (95% interval of the effect excluding 0, no sample-ratio mismatch) is one
win; ratings are Bradley-Terry on the 400-point scale with seeded bootstrap 95% intervals.`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("ab ranking", argv, {
      category: { type: "string" },
      bootstrap: { type: "string" },
      seed: { type: "string" },
      json: { type: "boolean" },
    });
    if (positionals.length > 0) throw new ModelmapError("usage", "ab ranking: no positional arguments");
    const orderings = await abOrderings(await ctx.store(), {
      ...orderingOptions("ab ranking", values),
      category: values.category?.toLowerCase(),
    });
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify(orderings, null, 2)}\n`);
      return 0;
    }
    ctx.stdout.write(orderings.length ? renderOrderings(orderings) : "no experiments stored\n");
    return 0;
  },
};

/** Online experiments (issue 17). */
export const AB_COMMANDS: Command[] = [abImportCommand, abListCommand, abShowCommand, abRankingCommand];
