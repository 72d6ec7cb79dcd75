/** The short text summary `modelmap start` prints: one row per model, benchmark scores and the vote rating. */
import { pText } from "../core/format.ts";
import type { PipelineReport } from "./pipeline.ts";

function shortTask(task: string): string {
  return task.replace(/^synthetic_/, "");
}

function pad(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** What the contamination check found for a model: the flagged tasks, "clean", or "-" when not checked. */
function contaminationCell(r: PipelineReport, model: string): string {
  const mine = r.contamination.filter((c) => c.model === model);
  if (mine.length === 0) return "-";
  const flagged = mine.filter((c) => c.flagged);
  if (flagged.length === 0) return "clean";
  const p = Math.max(...flagged.map((c) => c.pValue ?? 0));
  return `FLAGGED ${flagged.map((c) => shortTask(c.task)).join(",")} (${pText(p)})`;
}

/** Scores are percent ± one standard error; the rating is Bradley-Terry (mean 1000) with its 95% interval. */
export function renderSummary(r: PipelineReport): string {
  const checked = r.contamination.length > 0;
  const header = [
    "model",
    ...r.tasks.map(shortTask),
    "verifiable",
    "rating [95% CI]",
    "rank",
    ...(checked ? ["contamination"] : []),
  ];
  const byModel = new Map(r.ratings.map((x) => [x.model, x]));
  const order = [...r.models].sort((a, b) => (byModel.get(b)?.rating ?? 0) - (byModel.get(a)?.rating ?? 0));
  const rows = order.map((m) => {
    const cells = r.tasks.map((t) => {
      const s = r.scores.find((x) => x.model === m && x.task === t);
      if (!s) return "-";
      const se = s.stderr === undefined ? "" : `±${(100 * s.stderr).toFixed(1)}`;
      return `${(100 * s.value).toFixed(1)}${se}`;
    });
    const c = r.votes.correct[m];
    const rating = byModel.get(m);
    return [
      m,
      ...cells,
      c ? `${c.right}/${c.answered}` : "-",
      rating ? `${rating.rating.toFixed(0)} [${rating.ci_lower.toFixed(0)}, ${rating.ci_upper.toFixed(0)}]` : "-",
      rating ? String(rating.rank) : "-",
      ...(checked ? [contaminationCell(r, m)] : []),
    ];
  });
  const metrics = [...new Set(r.scores.map((s) => `${shortTask(s.task)}: ${s.metric}`))];
  return [
    pad([header, ...rows]),
    "",
    `scores: percent ± standard error (${metrics.length ? [...new Set(r.scores.map((s) => s.metric))].join(", ") : "no scores"}); verifiable: prompts answered right / answered`,
    `rating: Bradley-Terry over ${r.votes.total} votes from verifiable prompts (correct beats wrong, both wrong is a tie), 95% bootstrap CI`,
    ...(checked
      ? [
          "contamination: sharded exchangeability test on each benchmark's test items (flagged at p < 0.01); a flagged score is demoted in search, on the map and on the model page",
        ]
      : []),
  ].join("\n");
}
