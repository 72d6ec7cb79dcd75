import { resolve } from "node:path";
import { alpacaEvalFile, baselineWinRates, qualityQuadrants } from "../../judge/analysis.ts";
import { type Command, parseFlags, parseNumberFlag, requireString, voteQuery } from "../command.ts";

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "n/a");
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "n/a");

const winrate: Command = {
  name: "winrate",
  summary: "win rate against a baseline, with standard error and length-controlled win rate (AlpacaEval 2.0)",
  usage: `usage: modelmap winrate --baseline MODEL [--source S]... [--filter field=value]... [--bootstrap N] [--seed N] [--json]
       modelmap winrate --alpaca-eval FILE [--bootstrap N] [--seed N] [--json]

Win rate of each model against the baseline over stored votes (a tie counts half), its standard error,
the discrete win rate, and the length-controlled win rate: a logistic GLM on tanh of the standardized
length difference, predicted at equal length (AlpacaEval 2.0, without its precomputed instruction
difficulty). With --alpaca-eval, reads an AlpacaEval annotations JSON instead (output_1 = baseline).
  --baseline MODEL     the reference model
  --source S           only votes from this source (repeatable), e.g. judge:heldout-v1
  --filter F=V         vote filter (judge, category, ...), repeatable
  --alpaca-eval FILE   an AlpacaEval annotations.json
  --bootstrap N        resamples for the LC standard error (default 200)
  --seed N             bootstrap seed (default 0)
  --json               machine-readable output`,
  async run(argv, ctx) {
    const { values } = parseFlags("winrate", argv, {
      baseline: { type: "string" },
      source: { type: "string", multiple: true },
      filter: { type: "string", multiple: true },
      "alpaca-eval": { type: "string" },
      bootstrap: { type: "string" },
      seed: { type: "string" },
      json: { type: "boolean" },
    });
    const bootstrap = parseNumberFlag("winrate", "--bootstrap", values.bootstrap, { int: true, min: 0 }) ?? 200;
    const seed = parseNumberFlag("winrate", "--seed", values.seed, { int: true }) ?? 0;
    if (values["alpaca-eval"] !== undefined) {
      const r = alpacaEvalFile(resolve(ctx.cwd, values["alpaca-eval"]), { bootstrap, seed });
      if (values.json) ctx.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        ctx.stdout.write(
          `${r.model} vs ${r.baseline} (n=${r.nTotal}, dropped ${r.nDropped})\n` +
            `  win rate           ${r.winRate.toFixed(2)} ± ${r.standardError.toFixed(2)}\n` +
            `  discrete win rate  ${r.discreteWinRate.toFixed(2)} (wins ${r.nWins}, losses ${r.nWinsBase}, draws ${r.nDraws})\n` +
            `  LC win rate        ${f2(r.lc.lcWinRate)} ± ${f2(r.lc.standardError)}  (length coefficient ${f2(r.lc.coefficients.length)})\n` +
            `  avg length         ${r.avgLength.toFixed(0)} chars\n`,
        );
      }
      return 0;
    }
    const baseline = requireString("winrate", values.baseline, "--baseline");
    const { rows, votesWithoutAnswers } = await baselineWinRates(await ctx.store(), {
      baseline,
      query: voteQuery("winrate", values),
      bootstrap,
      seed,
    });
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify({ baseline, rows, votesWithoutAnswers }, null, 2)}\n`);
      return 0;
    }
    ctx.stdout.write(`win rate against ${baseline} (ties count half; LC = length-controlled)\n`);
    ctx.stdout.write(`  ${"model".padEnd(24)} ${"n".padStart(5)}  win rate       discrete  LC win rate    avg len\n`);
    for (const r of rows) {
      ctx.stdout.write(
        `  ${r.model.padEnd(24)} ${String(r.nTotal).padStart(5)}  ${f1(r.winRate).padStart(5)} ± ${f1(r.standardError).padEnd(5)}  ${f1(r.discreteWinRate).padStart(8)}  ${f1(r.lc.lcWinRate).padStart(5)} ± ${f1(r.lc.standardError).padEnd(5)}  ${f1(r.avgLength).padStart(8)}\n`,
      );
    }
    if (votesWithoutAnswers)
      ctx.stdout.write(`  (${votesWithoutAnswers} votes without stored answers: no LC for them)\n`);
    return 0;
  },
};

const quadrants: Command = {
  name: "judge quadrants",
  summary: "win rates and ratings per quality quadrant (poor-poor, acceptable-poor, acceptable-acceptable)",
  usage: `usage: modelmap judge quadrants --judge NAME --prompts SET [--threshold G] [--json]

Classes each judged comparison by the judge's 1-10 grades of its two answers (acceptable = grade >= G,
default 6; a both-bad tie is poor-poor) and reports win rates and ratings per class.`,
  async run(argv, ctx) {
    const { values } = parseFlags("judge quadrants", argv, {
      judge: { type: "string" },
      prompts: { type: "string" },
      threshold: { type: "string" },
      json: { type: "boolean" },
    });
    const r = await qualityQuadrants(await ctx.store(), {
      judge: requireString("judge quadrants", values.judge, "--judge"),
      setName: requireString("judge quadrants", values.prompts, "--prompts"),
      threshold: parseNumberFlag("judge quadrants", "--threshold", values.threshold, { min: 1, max: 10 }) ?? 6,
    });
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return 0;
    }
    for (const q of r.quadrants) {
      ctx.stdout.write(`${q.quadrant} (${q.battles} comparisons)\n`);
      for (const m of q.models) {
        ctx.stdout.write(
          `  ${m.model.padEnd(24)} win rate ${f1(100 * m.winRate)}%  rating ${m.rating.toFixed(0)}  (n=${m.battles})\n`,
        );
      }
    }
    if (r.ungraded) ctx.stdout.write(`(${r.ungraded} comparisons without grades)\n`);
    return 0;
  },
};

export const JUDGE_ANALYSIS_COMMANDS: Command[] = [winrate, quadrants];
