import { AGREE_LABELS, agreement } from "../../arena/agree.ts";
import { readVoteFile } from "../../arena/read-votes.ts";
import { describeBadRows } from "../../arena/sources.ts";
import { ModelmapError } from "../../core/errors.ts";
import { type Command, parseFlags } from "../command.ts";
import { parseFormat } from "./rank.ts";

export const agreeCommand: Command = {
  name: "agree",
  summary: "agreement between two vote sources on the same items (kappa, confusion, rank correlation)",
  usage: `usage: modelmap agree A B [--format table|json|md] [--strict]

Matches the votes of files A and B on the same item (question_id/prompt_id and model pair, either order)
and reports agreement with and without ties, Cohen's kappa over {first wins, second wins, tie}, the
confusion matrix, and Spearman and Kendall correlations of the two Bradley-Terry leaderboards fitted on
the matched items.
  --format F   table (default), json or md
  --strict     bad rows are fatal (exit 2)`,
  run(argv, ctx) {
    const { values, positionals } = parseFlags("agree", argv, {
      format: { type: "string" },
      strict: { type: "boolean" },
    });
    const format = parseFormat("agree", values.format);
    if (positionals.length !== 2) throw new ModelmapError("usage", "agree: give exactly two vote files, A and B");
    const [fa, fb] = positionals as [string, string];
    const a = readVoteFile(fa, { strict: values.strict ?? false });
    const b = readVoteFile(fb, { strict: values.strict ?? false });
    for (const [f, vf] of [
      [fa, a],
      [fb, b],
    ] as const) {
      if (vf.counts)
        throw new ModelmapError("usage", `agree: ${f} holds aggregated counts; agreement needs per-item votes`);
      for (const line of describeBadRows([
        { file: f, format: vf.format, votes: vf.votes.length, badCount: vf.bad.length, bad: vf.bad },
      ]))
        ctx.stderr.write(`${line}\n`);
    }
    const r = agreement(a.votes, b.votes);
    if (format === "json") {
      ctx.stdout.write(`${JSON.stringify({ a: fa, b: fb, labels: AGREE_LABELS, ...r }, null, 2)}\n`);
      return 0;
    }
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    const lines = [
      `A: ${fa}`,
      `B: ${fb}`,
      `matched items: ${r.matched} (unmatched: A ${r.unmatched_a}, B ${r.unmatched_b})`,
      `agreement (ties as a verdict): ${pct(r.agreement)}`,
      `agreement when both decisive:  ${pct(r.agreement_decisive)} of ${r.both_decisive}`,
      `Cohen's kappa:                 ${r.kappa.toFixed(3)}`,
      `leaderboards (${r.leaderboard.models.length} models): Spearman ${r.leaderboard.spearman.toFixed(3)}, Kendall tau-b ${r.leaderboard.kendall.toFixed(3)}`,
      "",
      "confusion (rows A, columns B; pair in name order):",
    ];
    const w = Math.max(...r.confusion.flat().map((x) => String(x).length), 6);
    lines.push(`${"".padEnd(8)}${AGREE_LABELS.map((l) => l.padStart(w + 2)).join("")}`);
    for (const [i, row] of r.confusion.entries()) {
      lines.push(`${AGREE_LABELS[i]!.padEnd(8)}${row.map((x) => String(x).padStart(w + 2)).join("")}`);
    }
    const text = lines.join("\n");
    ctx.stdout.write(format === "md" ? `\`\`\`\n${text}\n\`\`\`\n` : `${text}\n`);
    return 0;
  },
};
