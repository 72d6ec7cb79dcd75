import { basename } from "node:path";
import { applyFilters } from "../../arena/aggregate.ts";
import { positionBias } from "../../arena/bias.ts";
import { readVoteFile } from "../../arena/read-votes.ts";
import { describeBadRows } from "../../arena/sources.ts";
import { ModelmapError } from "../../core/errors.ts";
import { formatP } from "../../core/format.ts";
import { collect } from "../../core/iter.ts";
import type { Vote } from "../../core/votes.ts";
import { type Command, parseFlags, parseKeyValues, parseNumberFlag } from "../command.ts";
import { parseFormat } from "./rank.ts";

export const biasCommand: Command = {
  name: "bias",
  summary: "position bias: how often the first-shown answer wins, per judge or source, with intervals",
  usage: `usage: modelmap bias [FILE...] [--source NAME] [--filter FIELD=VALUE] [--pool] [--ci 0.95] [--format F] [--strict]

Among decisive votes whose shown order is known (in LMSYS files model_a is shown first; modelmap's own
votes record shown_first), the share won by the first-shown model, with a Wilson interval and a test
against 0.5, and the same rate between two equally strong models (Bradley-Terry with a first-position
term), which is not fooled by a strong model that was shown first more often. One row per judge (votes' judge field) or per file/source. Without FILE: stored votes.
  --source NAME         stored source to use (repeatable)
  --filter FIELD=VALUE  keep only matching votes (repeatable)
  --pool                one row for all votes together (e.g. the vicuna80 files, where each file fixes the
                        order of one pair and only the pool has both orders)
  --ci LEVEL            interval level (default 0.95)
  --format F            table (default), json, csv or md
  --strict              bad rows are fatal (exit 2)`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("bias", argv, {
      source: { type: "string", multiple: true },
      filter: { type: "string", multiple: true },
      ci: { type: "string" },
      format: { type: "string" },
      strict: { type: "boolean" },
      pool: { type: "boolean" },
    });
    const format = parseFormat("bias", values.format);
    const level = parseNumberFlag("bias", "--ci", values.ci, { min: 0.5, max: 0.999 }) ?? 0.95;
    const filters = parseKeyValues("bias", "--filter", values.filter);
    const groups: Array<{ group: string; votes: Vote[] }> = [];
    if (positionals.length === 0) {
      const store = await ctx.store();
      const sources = values.source?.length ? values.source : (await store.votes.sources()).map((s) => s.source);
      for (const s of sources)
        groups.push({ group: s, votes: await collect(store.votes.iterate({ sources: [s], filters })) });
    }
    for (const f of positionals) {
      const vf = readVoteFile(f, { strict: values.strict ?? false });
      for (const line of describeBadRows([
        { file: f, format: vf.format, votes: vf.votes.length, badCount: vf.bad.length, bad: vf.bad },
      ]))
        ctx.stderr.write(`${line}\n`);
      if (vf.counts) {
        ctx.stderr.write(`${f}: aggregated counts do not record which model was shown first; skipped\n`);
        continue;
      }
      groups.push({ group: basename(f), votes: applyFilters(vf.votes, filters) });
    }
    if (groups.every((g) => g.votes.length === 0)) throw new ModelmapError("input", "bias: no votes to measure");
    const rows = positionBias(
      values.pool ? [{ group: "all", votes: groups.flatMap((g) => g.votes) }] : groups,
      level,
      values.pool ?? false,
    );
    const pct = (x: number) => (100 * x).toFixed(1);
    if (format === "json") ctx.stdout.write(`${JSON.stringify({ ci: level, groups: rows }, null, 2)}\n`);
    else if (format === "csv") {
      const head =
        "group,votes,decisive,first_wins,first_win_rate,ci_lower,ci_upper,p_value,ties,unknown_order,adjusted_rate,adjusted_ci_lower,adjusted_ci_upper";
      const csvRows = rows.map((r) => {
        const { strength_adjusted: adj, ...rest } = r;
        return [...Object.values(rest), adj?.rate ?? "", adj?.ci_lower ?? "", adj?.ci_upper ?? ""].join(",");
      });
      ctx.stdout.write(`${[head, ...csvRows].join("\n")}\n`);
    } else {
      const head = [
        "judge/source",
        "votes",
        "decisive",
        "first wins",
        `${level * 100}% CI`,
        "p (=50%)",
        "ties",
        "strength-adjusted",
      ];
      const cells = rows.map((r) => [
        r.group,
        String(r.votes),
        String(r.decisive),
        `${pct(r.first_win_rate)}%`,
        `${pct(r.ci_lower)}..${pct(r.ci_upper)}`,
        formatP(r.p_value),
        String(r.ties),
        r.strength_adjusted
          ? `${pct(r.strength_adjusted.rate)}% (${pct(r.strength_adjusted.ci_lower)}..${pct(r.strength_adjusted.ci_upper)})`
          : "n/a",
      ]);
      if (format === "md") {
        ctx.stdout.write(
          `${[
            `| ${head.join(" | ")} |`,
            `|---|${head
              .slice(1)
              .map(() => "---:")
              .join("|")}|`,
            ...cells.map((c) => `| ${c.join(" | ")} |`),
          ].join("\n")}\n`,
        );
      } else {
        const w = head.map((h, c) => Math.max(h.length, ...cells.map((r) => r[c]!.length)));
        const line = (c: string[]) => c.map((s, i) => (i === 0 ? s.padEnd(w[i]!) : s.padStart(w[i]!))).join("  ");
        ctx.stdout.write(
          `${[
            "position bias: share of decisive votes won by the first-shown model; strength-adjusted = the same between",
            "two equally strong models (Bradley-Terry with a first-position term; n/a when no pair was seen in both orders)",
            line(head),
            ...cells.map(line),
          ].join("\n")}\n`,
        );
      }
    }
    return 0;
  },
};
