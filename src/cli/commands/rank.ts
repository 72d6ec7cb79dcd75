import { resolve } from "node:path";
import { prestartBootstrapWorker } from "../../arena/bootstrap-threads.ts";
import { intervalChartSvg, rankChartSvg } from "../../arena/plot.ts";
import { predictionPoweredRanking, renderPpr } from "../../arena/ppr.ts";
import { type MatrixKind, type RankMethod, rankCounts } from "../../arena/rank.ts";
import { readVoteFile } from "../../arena/read-votes.ts";
import { type OutputFormat, renderRank, renderStyleRanking } from "../../arena/render.ts";
import { describeBadRows, loadVotes } from "../../arena/sources.ts";
import { styleControlledRatings } from "../../arena/style-ratings.ts";
import { ModelmapError } from "../../core/errors.ts";
import { writeUserFile } from "../../core/files.ts";
import { type CliContext, type Command, parseFlags, parseKeyValues, parseNumberFlag, voteQuery } from "../command.ts";

export const FORMATS = ["table", "json", "csv", "md"] as const;

export function parseFormat(command: string, v: string | undefined): OutputFormat {
  if (v === undefined) return "table";
  if (!(FORMATS as readonly string[]).includes(v))
    throw new ModelmapError("usage", `${command}: --format must be one of ${FORMATS.join(", ")}, got '${v}'`);
  return v as OutputFormat;
}

function parseAnchor(v: string | undefined): { model: string; rating: number } | undefined {
  if (v === undefined) return undefined;
  const eq = v.lastIndexOf("=");
  const rating = Number(v.slice(eq + 1));
  if (eq <= 0 || v.slice(eq + 1).trim() === "" || !Number.isFinite(rating))
    throw new ModelmapError("usage", `rank: --anchor expects MODEL=RATING, got '${v}'`);
  return { model: v.slice(0, eq), rating };
}

export const rankCommand: Command = {
  name: "rank",
  summary: "Bradley-Terry ratings with bootstrap intervals, ranks and tiers from pairwise votes",
  usage: `usage: modelmap rank [FILE...] [options]
       modelmap rank --human FILE --judge FILE [--human-n N] [--lambda L|auto] [options]

Rates models from pairwise votes: LMSYS battle files (JSON array or JSONL), aggregated count files
({models, X, Y}), vicuna80 threeclass files, or stored votes (no FILE: all stored votes, or --source).
  --style-control      ratings with answer length and markdown as covariates (see 'modelmap help rank style')
  --source NAME        use stored votes of this source (repeatable)
  --filter FIELD=VALUE keep votes with this field value (judge, category, language, question_id, model,
                       turn, anony; repeatable; not for count files)
  --anchor MODEL=R     give MODEL the rating R (default: mean rating 1000)
  --bootstrap N        bootstrap rounds for the intervals (default 1000; 0 = none)
  --seed S             bootstrap seed (default 42)
  --ci LEVEL           interval level (default 0.95)
  --method bt|elo      Bradley-Terry MLE (default) or online Elo (K=4; diagnostic, needs battle rows)
  --format F           table (default), json, csv or md
  --plot FILE.svg      also write the interval chart
  --matrix KIND        also print a matrix: winrate (observed), predicted, or battles
  --strict             bad rows are fatal (exit 2) instead of skipped and counted
  --human FILE         prediction-powered ranking: human votes ...
  --judge FILE         ... and LLM-judge votes on the same items (matched on question_id and model pair)
  --human-n N          size of the labelled set drawn from the matched votes (default min(1000, matched))
  --lambda L|auto      weight of the judge votes in [0, 1]; default auto: the variance-minimizing
                       weight (PPI++ power tuning; 1 is the plain rectifier of the paper)`,
  async run(argv, ctx) {
    // Style control fits length and markdown covariates over votes with stored answers: 'rank style'.
    if (argv.includes("--style-control"))
      return styleRank(
        argv.filter((a) => a !== "--style-control"),
        ctx,
      );
    const { values, positionals } = parseFlags("rank", argv, {
      source: { type: "string", multiple: true },
      filter: { type: "string", multiple: true },
      anchor: { type: "string" },
      bootstrap: { type: "string" },
      seed: { type: "string" },
      ci: { type: "string" },
      method: { type: "string" },
      format: { type: "string" },
      plot: { type: "string" },
      matrix: { type: "string" },
      strict: { type: "boolean" },
      human: { type: "string" },
      judge: { type: "string" },
      "human-n": { type: "string" },
      lambda: { type: "string" },
    });
    const format = parseFormat("rank", values.format);
    const seed = parseNumberFlag("rank", "--seed", values.seed, { int: true, min: 0 }) ?? 42;
    const ci = parseNumberFlag("rank", "--ci", values.ci, { min: 0.5, max: 0.999 }) ?? 0.95;
    const strict = values.strict ?? false;
    if (values.human !== undefined || values.judge !== undefined) {
      if (values.human === undefined || values.judge === undefined)
        throw new ModelmapError("usage", "rank: --human and --judge go together");
      const h = readVoteFile(values.human, { strict });
      const j = readVoteFile(values.judge, { strict });
      for (const line of describeBadRows([
        { file: h.file, format: h.format, votes: h.votes.length, badCount: h.bad.length, bad: h.bad },
        { file: j.file, format: j.format, votes: j.votes.length, badCount: j.bad.length, bad: j.bad },
      ]))
        ctx.stderr.write(`${line}\n`);
      let lambda: number | "auto" = "auto";
      if (values.lambda !== undefined && values.lambda !== "auto")
        lambda = parseNumberFlag("rank", "--lambda", values.lambda, { min: 0, max: 1 })!;
      const humanN = parseNumberFlag("rank", "--human-n", values["human-n"], { int: true, min: 1 });
      const report = predictionPoweredRanking(h.votes, j.votes, {
        seed,
        ci,
        lambda,
        ...(humanN !== undefined ? { humanN } : {}),
      });
      for (const w of report.warnings) ctx.stderr.write(`warning: ${w}\n`);
      ctx.stdout.write(renderPpr(report, format));
      if (values.plot) {
        const svg = intervalChartSvg(
          report.models.map((m) => ({
            label: m.model,
            estimate: 100 * m.win_rate,
            lower: 100 * m.ci_lower,
            upper: 100 * m.ci_upper,
          })),
          { title: `Prediction-powered win rates (${ci * 100}% simultaneous)`, xLabel: "win rate, %" },
        );
        writeUserFile(resolve(ctx.cwd, values.plot), svg, "--plot");
      }
      return 0;
    }
    const method = (values.method ?? "bt") as RankMethod;
    if (method !== "bt" && method !== "elo")
      throw new ModelmapError("usage", `rank: --method must be bt or elo, got '${values.method}'`);
    const matrix = values.matrix as MatrixKind | undefined;
    if (matrix !== undefined && !["winrate", "predicted", "battles"].includes(matrix))
      throw new ModelmapError("usage", `rank: --matrix must be winrate, predicted or battles, got '${values.matrix}'`);
    if (positionals.length > 0 && values.source?.length)
      throw new ModelmapError("usage", "rank: give vote FILEs or --source, not both");
    // Flags first: a bad --bootstrap or --anchor is reported before any vote file is read.
    const anchor = parseAnchor(values.anchor);
    const bootstrap =
      parseNumberFlag("rank", "--bootstrap", values.bootstrap, { int: true, min: 0, max: 100000 }) ?? 1000;
    // The bootstrap's second thread starts loading now, while the votes are read and fitted.
    if (bootstrap > 0 && method !== "elo") prestartBootstrapWorker();
    const loaded = await loadVotes({
      files: positionals,
      sources: values.source ?? [],
      filters: parseKeyValues("rank", "--filter", values.filter),
      strict,
      store: ctx.store,
    });
    for (const line of describeBadRows(loaded.files)) ctx.stderr.write(`${line}\n`);
    const report = rankCounts(
      loaded.counts,
      {
        method,
        bootstrap,
        seed,
        ci,
        ...(anchor ? { anchor } : {}),
        ...(matrix ? { matrix } : {}),
      },
      loaded.votes,
    );
    for (const w of report.warnings) ctx.stderr.write(`warning: ${w}\n`);
    ctx.stdout.write(renderRank(report, format));
    if (values.plot) {
      const svg = rankChartSvg(report, { method, ci });
      writeUserFile(resolve(ctx.cwd, values.plot), svg, "--plot");
      if (format === "table") ctx.stderr.write(`wrote ${values.plot}\n`);
    }
    return 0;
  },
};

/** `rank style`, also reached as `rank --style-control`: one shell function over the arena service. */
async function styleRank(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseFlags("rank style", argv, {
    source: { type: "string", multiple: true },
    filter: { type: "string", multiple: true },
    bootstrap: { type: "string" },
    seed: { type: "string" },
    json: { type: "boolean" },
    format: { type: "string" },
  });
  const r = await styleControlledRatings(await ctx.store(), {
    query: voteQuery("rank style", values),
    bootstrap: parseNumberFlag("rank style", "--bootstrap", values.bootstrap, { int: true, min: 0 }) ?? 200,
    seed: parseNumberFlag("rank style", "--seed", values.seed, { int: true }) ?? 0,
  });
  if (values.json || values.format === "json") {
    ctx.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  ctx.stdout.write(renderStyleRanking(r));
  if (!r.converged) ctx.stderr.write("warning: the fit did not converge\n");
  return 0;
}

export const rankStyleCommand: Command = {
  name: "rank style",
  summary: "ratings with style control (answer length and markdown as covariates)",
  usage: `usage: modelmap rank style [--source S]... [--filter field=value]... [--bootstrap N] [--seed N] [--json | --format json]
       modelmap rank --style-control [same options]

Bradley-Terry ratings with the normalized differences of answer length (tokens), markdown headers, list
items and bold spans as covariates, as Chatbot Arena's style control. Needs votes whose answers are
stored (from 'modelmap judge' or labeling campaigns). Shows the raw rating next to the controlled one.
  --source S      only votes from this source (repeatable)
  --filter F=V    vote filter, repeatable
  --bootstrap N   resamples for the intervals (default 200)
  --seed N        bootstrap seed
  --json          machine-readable output`,
  run: styleRank,
};
