import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { readVoteFile } from "../../arena/read-votes.ts";
import { describeBadRows, voteSources } from "../../arena/sources.ts";
import { ModelmapError } from "../../core/errors.ts";
import { writeUserFile } from "../../core/files.ts";
import { sha256 } from "../../core/hash.ts";
import { createProgress, SILENT_PROGRESS } from "../../runner/progress.ts";
import { type CliContext, type Command, parseFlags, parseKeyValues, requireString } from "../command.ts";
import { parseFormat } from "./rank.ts";

export const votesImportCommand: Command = {
  name: "votes import",
  summary: "store pairwise votes from LMSYS battle files or threeclass files under a source name",
  usage: `usage: modelmap votes import FILE... --source NAME [--strict] [--quiet]

Reads LMSYS battle files (JSON array or JSONL: model_a, model_b, winner, optional question_id, judge,
tstamp, language, turn, anony, category, shown_first) or vicuna80 threeclass files and stores their votes
under NAME. Importing the same file into the same source twice is a no-op. Aggregated count files cannot
be imported (they have no votes); rank them directly with 'modelmap rank FILE'.
  --source NAME   source name the votes are stored under (required)
  --strict        bad rows are fatal (exit 2) instead of skipped and counted
  --quiet         no progress output (two steps per file: read, store)`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("votes import", argv, {
      source: { type: "string" },
      strict: { type: "boolean" },
      quiet: { type: "boolean" },
    });
    const source = requireString("votes import", values.source, "--source");
    if (positionals.length === 0) throw new ModelmapError("usage", "votes import: give at least one FILE");
    const store = await ctx.store();
    const progress = values.quiet ? SILENT_PROGRESS : createProgress(ctx.stderr);
    progress.start(2 * positionals.length, `votes import ${source}`);
    let step = 0;
    let bad = 0;
    // Reports wait for the progress line to finish, so that they do not land in the middle of a redrawn bar.
    const report: Array<[CliContext["stdout"], string]> = [];
    try {
      for (const file of positionals) {
        const vf = readVoteFile(file, { strict: values.strict ?? false });
        bad += vf.bad.length;
        progress.update(++step, bad);
        if (vf.counts) {
          throw new ModelmapError("usage", `${file} holds aggregated counts, not votes`, {
            hint: `rank it directly: modelmap rank ${file}`,
          });
        }
        for (const line of describeBadRows([
          { file, format: vf.format, votes: vf.votes.length, badCount: vf.bad.length, bad: vf.bad },
        ]))
          report.push([ctx.stderr, `${line}\n`]);
        const res = await store.votes.importBatch({
          source,
          file: basename(file),
          fileSha256: sha256(readFileSync(file)),
          votes: vf.votes,
        });
        if (++step === 2 * positionals.length) progress.finish(step, bad);
        else progress.update(step, bad);
        report.push([
          ctx.stdout,
          res.duplicate
            ? `${file}: already imported into source '${source}', nothing added\n`
            : `${file}: imported ${res.inserted} votes into source '${source}'${vf.bad.length ? ` (${vf.bad.length} bad rows skipped)` : ""}\n`,
        ]);
      }
    } finally {
      for (const [out, text] of report) out.write(text);
    }
    return 0;
  },
};

export const votesListCommand: Command = {
  name: "votes list",
  summary: "list stored vote sources with their vote counts",
  usage: `usage: modelmap votes list [--format table|json|csv|md]

Lists each stored source with its number of votes and when they were stored.`,
  async run(argv, ctx) {
    const { values } = parseFlags("votes list", argv, { format: { type: "string" } }, false);
    const format = parseFormat("votes list", values.format);
    const rows = await voteSources(await ctx.store());
    if (format === "json") {
      ctx.stdout.write(`${JSON.stringify({ sources: rows }, null, 2)}\n`);
      return 0;
    }
    if (format === "csv") {
      ctx.stdout.write(
        `${["source,votes,first_at,last_at", ...rows.map((r) => `${r.source},${r.votes},${r.firstAt},${r.lastAt}`)].join("\n")}\n`,
      );
      return 0;
    }
    if (rows.length === 0) {
      ctx.stdout.write("no stored votes (import some with 'modelmap votes import FILE --source NAME')\n");
      return 0;
    }
    const head = ["source", "votes", "first stored", "last stored"];
    const cells = rows.map((r) => [r.source, String(r.votes), r.firstAt, r.lastAt]);
    if (format === "md") {
      ctx.stdout.write(
        `${[`| ${head.join(" | ")} |`, "|---|---:|---|---|", ...cells.map((c) => `| ${c.join(" | ")} |`)].join("\n")}\n`,
      );
      return 0;
    }
    const w = head.map((h, c) => Math.max(h.length, ...cells.map((r) => r[c]!.length)));
    const line = (c: string[]) =>
      c
        .map((s, i) => (i === 1 ? s.padStart(w[i]!) : s.padEnd(w[i]!)))
        .join("  ")
        .trimEnd();
    ctx.stdout.write(`${[line(head), ...cells.map(line)].join("\n")}\n`);
    return 0;
  },
};

export const votesExportCommand: Command = {
  name: "votes export",
  summary: "write stored votes as JSONL (LMSYS fields plus prompt_id and shown_first)",
  usage: `usage: modelmap votes export [--source NAME] [--filter FIELD=VALUE] [--out FILE]

Writes stored votes, one JSON object per line: model_a, model_b, winner (model_a, model_b, tie,
tie (bothbad)), prompt_id, judge, shown_first, category, language, turn, tstamp, anony, rationale, source.
'modelmap rank', 'bias' and 'agree' read the file back.
  --source NAME         only this source (repeatable; default all)
  --filter FIELD=VALUE  only matching votes (repeatable)
  --out FILE            write to FILE instead of stdout`,
  async run(argv, ctx) {
    const { values } = parseFlags(
      "votes export",
      argv,
      {
        source: { type: "string", multiple: true },
        filter: { type: "string", multiple: true },
        out: { type: "string" },
      },
      false,
    );
    const query = {
      ...(values.source?.length ? { sources: values.source } : {}),
      filters: parseKeyValues("votes export", "--filter", values.filter),
    };
    const lines: string[] = [];
    for await (const v of (await ctx.store()).votes.iterate(query)) {
      lines.push(
        JSON.stringify({
          model_a: v.modelA,
          model_b: v.modelB,
          winner: v.winner === "tie_bothbad" ? "tie (bothbad)" : v.winner,
          prompt_id: v.promptId,
          judge: v.judge,
          shown_first: v.shownFirst,
          category: v.category,
          language: v.language,
          turn: v.turn,
          tstamp: v.tstamp,
          anony: v.anony,
          rationale: v.rationale,
          source: v.source,
        }),
      );
    }
    const text = lines.length ? `${lines.join("\n")}\n` : "";
    if (values.out) {
      writeUserFile(resolve(ctx.cwd, values.out), text, "--out");
      ctx.stderr.write(`wrote ${lines.length} votes to ${values.out}\n`);
    } else ctx.stdout.write(text);
    return 0;
  },
};
