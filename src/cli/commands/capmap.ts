import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { modelCard } from "../../capmap/card.ts";
import { compareModels } from "../../capmap/compare.ts";
import { IMPORT_KINDS, type ImportKind, importFile, search } from "../../capmap/service.ts";
import { ownItemScores, syncOwnEvidence } from "../../capmap/sync.ts";
import { ModelmapError } from "../../core/errors.ts";
import { createProgress, SILENT_PROGRESS } from "../../runner/progress.ts";
import { TaskRegistry } from "../../tasks/loader.ts";
import { type Command, parseFlags, parseNumberFlag } from "../command.ts";
import { renderAgreement } from "./meta.ts";

const f1 = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(1));

function table(rows: string[][]): string {
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

export const mapImportCommand: Command = {
  name: "map import",
  deprecatedNames: ["import"],
  summary: "import public results into the capability map (open-llm-leaderboard, arena, obs-scaling)",
  usage: `usage: modelmap map import KIND FILE [--json] [--quiet]

Imports a public results table into the capability map and rebuilds the map. Re-importing a file replaces
what that source said before. Rows that cannot be used are reported (file line and reason), not fatal.
  KIND    open-llm-leaderboard  Open LLM Leaderboard final table, v1 or v2 (detected from the columns)
          arena                 Chatbot Arena leaderboard table (CSV with rating and 95% interval)
          obs-scaling           observational-scaling score tables (base, instruct, leaderboard v2)
  --json  print the import summary as JSON
  --quiet no progress output`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("map import", argv, {
      json: { type: "boolean" },
      quiet: { type: "boolean" },
    });
    const [kind, file, ...extra] = positionals;
    if (!kind || !file || extra.length > 0) {
      throw new ModelmapError("usage", "map import: expected KIND FILE", { hint: "run 'modelmap help map import'" });
    }
    if (!(IMPORT_KINDS as readonly string[]).includes(kind)) {
      throw new ModelmapError("usage", `map import: unknown kind '${kind}'`, {
        hint: `kinds: ${IMPORT_KINDS.join(", ")}`,
      });
    }
    const r = await importFile(
      await ctx.store(),
      kind as ImportKind,
      file,
      values.quiet ? SILENT_PROGRESS : createProgress(ctx.stderr),
    );
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return 0;
    }
    ctx.stdout.write(`imported ${r.source}: ${r.models} models, ${r.evidence} scores; map now has ${r.cells} cells\n`);
    if (r.skipped.length > 0) {
      ctx.stdout.write(`skipped ${r.skipped.length} row(s):\n`);
      for (const s of r.skipped.slice(0, 20)) ctx.stdout.write(`  ${r.file}:${s.line}: ${s.reason}\n`);
      if (r.skipped.length > 20) ctx.stdout.write(`  ... and ${r.skipped.length - 20} more (use --json)\n`);
    }
    return 0;
  },
};

export const searchCommand: Command = {
  name: "search",
  summary: "best models for a category, with intervals and the set tied for first",
  usage: `usage: modelmap search CATEGORY [--max-params B] [--min-params B] [--license ID] [--top N]
                       [--exclude-flagged] [--exclude-merged] [--json]

Ranks the models of one map category (e.g. math, knowledge, reasoning, chat) by their score on the common
0-100 scale, with 95% intervals. Rank = 1 + models surely better (lower bound above this upper bound), so a
model with a wide interval can have a smaller rank than one listed above it; the models tied for first cannot
be told apart from the best. A score a stored check puts in doubt (a flagged contamination check, a prompt
spread over 5 points with a significant variant) is demoted: listed after the trusted ones, marked '!', with
its reason, and never tied for first.
  --max-params B       only models with at most B billion parameters (models of unknown size are left out)
  --min-params B       only models with at least B billion parameters
  --license ID         only this licence (e.g. apache-2.0, mit; case-insensitive)
  --top N              how many to list (default 10)
  --exclude-flagged    leave out models flagged on their leaderboard and demoted scores
  --exclude-merged     leave out merges
  --json               print the result as JSON`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("search", argv, {
      "max-params": { type: "string" },
      "min-params": { type: "string" },
      license: { type: "string" },
      top: { type: "string" },
      "exclude-flagged": { type: "boolean" },
      "exclude-merged": { type: "boolean" },
      json: { type: "boolean" },
    });
    const [category, ...extra] = positionals;
    if (!category || extra.length > 0) throw new ModelmapError("usage", "search: expected one CATEGORY");
    const top = parseNumberFlag("search", "--top", values.top, { int: true, min: 1, max: 10000 }) ?? 10;
    const r = await search(
      await ctx.store(),
      category,
      {
        maxParams: parseNumberFlag("search", "--max-params", values["max-params"], { min: 0 }),
        minParams: parseNumberFlag("search", "--min-params", values["min-params"], { min: 0 }),
        license: values.license,
        excludeFlagged: values["exclude-flagged"],
        excludeMerged: values["exclude-merged"],
      },
      { top },
    );
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return 0;
    }
    ctx.stdout.write(
      `${category}: ${r.total} models match${r.demoted && values["exclude-flagged"] ? ` (${r.demoted} demoted score(s) left out)` : ""}\n`,
    );
    const rows = [["rank", "model", "score", "95% CI", "params", "license", "evidence"]];
    for (const h of r.results) {
      rows.push([
        `${h.rank}${h.tiedForFirst ? "*" : h.demoted ? "!" : ""}`,
        h.modelId,
        f1(h.estimate),
        `[${f1(h.lo)}, ${f1(h.hi)}]`,
        h.model.paramsB === undefined ? "?" : `${h.model.paramsB}B`,
        h.model.license ?? "?",
        `${h.evidence} (${h.sources.join(", ")})`,
      ]);
    }
    ctx.stdout.write(table(rows));
    for (const h of r.results) if (h.demoted) ctx.stdout.write(`! ${h.modelId} demoted: ${h.demoted.join("; ")}\n`);
    if (r.tiedForFirstCount === 1) {
      ctx.stdout.write(
        `* clear first: ${r.tiedForFirst[0]?.modelId}; every other model's interval lies below its lower bound\n`,
      );
    } else if (r.tiedForFirstCount > 1) {
      const names = r.tiedForFirst.slice(0, 10).map((t) => t.modelId);
      const more = r.tiedForFirstCount > names.length ? ` and ${r.tiedForFirstCount - names.length} more` : "";
      ctx.stdout.write(
        `* tied for first: you cannot tell these ${r.tiedForFirstCount} apart: ${names.join(", ")}${more}\n`,
      );
    }
    if (r.agreement) ctx.stdout.write(renderAgreement(r.agreement));
    return 0;
  },
};

export const mapCompareCommand: Command = {
  name: "map compare",
  deprecatedNames: ["compare-models"],
  summary: "per-category differences between two models in the map, with intervals",
  usage: `usage: modelmap map compare A B [--json]

Differences A - B per category on the common 0-100 scale with 95% intervals. Where both models were measured
on the same metrics only those are compared; per-item scores on shared items are paired.
  --json  print the comparison as JSON`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("map compare", argv, { json: { type: "boolean" } });
    const [a, b, ...extra] = positionals;
    if (!a || !b || extra.length > 0) throw new ModelmapError("usage", "map compare: expected two models A B");
    const r = await compareModels(await ctx.store(), a, b, await ownItemScores(await ctx.store()));
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return 0;
    }
    ctx.stdout.write(`A = ${r.a.id}\nB = ${r.b.id}\n`);
    const rows = [["category", "A", "B", "A - B", "95% CI", "basis", "verdict"]];
    for (const c of r.categories) {
      rows.push([
        c.category,
        f1(c.a?.estimate),
        f1(c.b?.estimate),
        f1(c.diff),
        c.lo === undefined ? "-" : `[${f1(c.lo)}, ${f1(c.hi)}]`,
        c.basis === "shared" ? `${c.shared.length} shared metric(s)${c.paired ? ", paired" : ""}` : c.basis,
        c.verdict === "a"
          ? "A better"
          : c.verdict === "b"
            ? "B better"
            : c.verdict === "tie"
              ? "cannot tell"
              : "missing",
      ]);
    }
    ctx.stdout.write(table(rows));
    return 0;
  },
};

export const cardCommand: Command = {
  name: "card",
  summary: "print a model card (markdown) from the evidence in the map",
  usage: `usage: modelmap card MODEL [--base-url URL]

Prints markdown for a Hugging Face model card: strengths and weaknesses by category relative to models of
similar size, the evidence behind each, how it was evaluated, sensitivity and contamination where recorded.
  --base-url URL  modelmap server URL for links to runs (e.g. http://127.0.0.1:8787)`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("card", argv, { "base-url": { type: "string" } });
    const [model, ...extra] = positionals;
    if (!model || extra.length > 0) throw new ModelmapError("usage", "card: expected one MODEL");
    ctx.stdout.write(await modelCard(await ctx.store(), model, { baseUrl: values["base-url"] }));
    return 0;
  },
};

export const mapSyncCommand: Command = {
  name: "map sync",
  summary: "bring modelmap's own runs, judge grades and votes into the capability map",
  usage: `usage: modelmap map sync [--tasks DIR]... [--bootstrap N] [--seed N] [--include-blind] [--json]

Replaces the map's modelmap-runs, modelmap-judge and modelmap-votes sources with what the database holds:
the latest complete run of each model and task (the task's first category tag is its map category), single-
answer judge grades (mean per model, category, prompt set and judge), and votes fitted to Bradley-Terry
ratings per vote source and category (votes without a category count as "chat"). Then rebuilds the map.
Votes of blind labeling campaigns (reveal: never) are left out: the map is public, their standings are not.
  --tasks DIR        task definitions to read category tags from (repeatable; default ./tasks)
  --bootstrap N      bootstrap rounds for the vote ratings' intervals (default 200)
  --seed N           bootstrap seed (default 1)
  --include-blind    also map blind campaigns' votes (once a campaign is over)
  --json             print the report as JSON`,
  async run(argv, ctx) {
    const { values } = parseFlags(
      "map sync",
      argv,
      {
        tasks: { type: "string", multiple: true },
        bootstrap: { type: "string" },
        seed: { type: "string" },
        json: { type: "boolean" },
        "include-blind": { type: "boolean" },
      },
      false,
    );
    const dirs = (values.tasks ?? ["tasks"]).map((d) => resolve(ctx.cwd, d));
    const existing = dirs.filter((d) => existsSync(d));
    const registry = existing.length ? TaskRegistry.load(existing) : undefined;
    const report = await syncOwnEvidence(await ctx.store(), {
      categoryOf: (task) => registry?.tasks.get(task)?.categories,
      bootstrap:
        parseNumberFlag("map sync", "--bootstrap", values.bootstrap, { int: true, min: 0, max: 100000 }) ?? 200,
      seed: parseNumberFlag("map sync", "--seed", values.seed, { int: true }) ?? 1,
      includeBlind: values["include-blind"] === true,
    });
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    ctx.stdout.write(
      `runs: ${report.runs.evidence} task results; judge: ${report.judge.evidence} graded groups; votes: ${report.votes.evidence} ratings in ${report.votes.categories.length} categories; map now has ${report.cells} cells\n`,
    );
    for (const s of report.runs.skipped) ctx.stdout.write(`  skipped ${s}\n`);
    for (const w of report.votes.warnings) ctx.stdout.write(`  warning: ${w}\n`);
    if (existing.length === 0)
      ctx.stdout.write(`  note: no tasks directory found (${dirs.join(", ")}); runs could not be categorized\n`);
    return 0;
  },
};

export const CAPMAP_COMMANDS: Command[] = [
  mapImportCommand,
  mapSyncCommand,
  searchCommand,
  mapCompareCommand,
  cardCommand,
];
