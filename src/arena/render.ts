import type { RankReport } from "./rank.ts";
import type { StyleRanking } from "./style-ratings.ts";

/** Text renderings of a rank report: aligned table, CSV, Markdown, JSON. */
export type OutputFormat = "table" | "json" | "csv" | "md";

const fmt1 = (x: number) => x.toFixed(1);
/** "+up/-down"; with Elo the point estimate can fall outside its bootstrap interval, so signs are explicit. */
const plusMinus = (rating: number, lower: number, upper: number) => {
  const up = upper - rating;
  const down = rating - lower;
  return `${up >= 0 ? "+" : "-"}${fmt1(Math.abs(up))}/${down >= 0 ? "-" : "+"}${fmt1(Math.abs(down))}`;
};

export function renderRank(r: RankReport, format: OutputFormat): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(r, null, 2)}\n`;
    case "csv":
      return renderCsv(r);
    case "md":
      return renderMarkdown(r);
    default:
      return renderTable(r);
  }
}

function summary(r: RankReport): string {
  const t = r.totals;
  const method = r.method === "bt" ? "Bradley-Terry (ties = half a win)" : "online Elo (K=4), diagnostic only";
  const anchor = r.anchor ? `anchored ${r.anchor.model} = ${r.anchor.rating}` : "mean rating 1000";
  const ci =
    r.bootstrap.rounds > 0
      ? `${r.bootstrap.ci * 100}% bootstrap intervals, ${r.bootstrap.rounds} rounds, seed ${r.bootstrap.seed}`
      : "no bootstrap";
  return `${method}; ${t.battles} battles (${t.ties} ties, ${t.ties_bothbad} both-bad ties), ${t.models} models, ${t.pairs} pairs; ${anchor}; ${ci}`;
}

function renderTable(r: RankReport): string {
  const rows = r.models.map((m) => [
    String(m.rank),
    String(m.tier),
    m.model,
    fmt1(m.rating),
    plusMinus(m.rating, m.ci_lower, m.ci_upper),
    String(m.battles),
  ]);
  const head = ["rank", "tier", "model", "rating", "95% CI", "battles"];
  if (r.bootstrap.ci !== 0.95) head[4] = `${Number((r.bootstrap.ci * 100).toFixed(2))}% CI`;
  const right = [true, true, false, true, true, true];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((s, c) => (right[c] ? s.padStart(widths[c]!) : s.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  const out = [summary(r), "", line(head), ...rows.map(line)];
  if (r.matrix) out.push("", ...matrixText(r.matrix));
  return `${out.join("\n")}\n`;
}

function matrixText(m: NonNullable<RankReport["matrix"]>): string[] {
  const cell = (v: number | null) => (v === null ? "-" : m.kind === "battles" ? String(v) : v.toFixed(2));
  const short = m.models.map((_, c) => `#${c + 1}`);
  const nameW = Math.max(...m.models.map((s, c) => `#${c + 1} ${s}`.length));
  const colW = Math.max(5, ...m.values.flat().map((v) => cell(v).length), ...short.map((s) => s.length));
  const title =
    m.kind === "winrate"
      ? "observed win rate of row vs column (ties = half)"
      : m.kind === "predicted"
        ? "predicted win probability of row vs column"
        : "battles between row and column";
  const lines = [title, `${"".padEnd(nameW)}  ${short.map((s) => s.padStart(colW)).join(" ")}`];
  m.values.forEach((row, a) => {
    lines.push(`${`#${a + 1} ${m.models[a]}`.padEnd(nameW)}  ${row.map((v) => cell(v).padStart(colW)).join(" ")}`);
  });
  return lines;
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function renderCsv(r: RankReport): string {
  const lines = ["model,rating,ci_lower,ci_upper,rank,tier,battles,wins,losses,ties"];
  for (const m of r.models) {
    lines.push(
      [
        csvCell(m.model),
        m.rating.toFixed(3),
        m.ci_lower.toFixed(3),
        m.ci_upper.toFixed(3),
        m.rank,
        m.tier,
        m.battles,
        m.wins,
        m.losses,
        m.ties,
      ].join(","),
    );
  }
  if (r.matrix) {
    lines.push("", ["model", ...r.matrix.models.map(csvCell)].join(","));
    r.matrix.values.forEach((row, a) => {
      lines.push([csvCell(r.matrix!.models[a]!), ...row.map((v) => (v === null ? "" : String(v)))].join(","));
    });
  }
  return `${lines.join("\n")}\n`;
}

function renderMarkdown(r: RankReport): string {
  const lines = [
    `_${summary(r)}_`,
    "",
    "| rank | tier | model | rating | CI | battles |",
    "|---:|---:|---|---:|---:|---:|",
  ];
  for (const m of r.models) {
    lines.push(
      `| ${m.rank} | ${m.tier} | ${m.model.replace(/\|/g, "\\|")} | ${fmt1(m.rating)} | ${plusMinus(m.rating, m.ci_lower, m.ci_upper)} | ${m.battles} |`,
    );
  }
  if (r.matrix) {
    const m = r.matrix;
    lines.push(
      "",
      `| ${m.kind} | ${m.models.map((_, c) => `#${c + 1}`).join(" | ")} |`,
      `|---|${m.models.map(() => "---:").join("|")}|`,
    );
    m.values.forEach((row, a) => {
      lines.push(
        `| #${a + 1} ${m.models[a]} | ${row.map((v) => (v === null ? "-" : m.kind === "battles" ? String(v) : v.toFixed(2))).join(" | ")} |`,
      );
    });
  }
  return `${lines.join("\n")}\n`;
}

/** Style-controlled ratings as text: each model's controlled rating and interval next to its raw rating. */
export function renderStyleRanking(r: StyleRanking): string {
  const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "n/a");
  const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "n/a");
  const lines = [`style-controlled ratings (${r.battles} battles, ${r.skipped} skipped without answers)`];
  for (const m of r.models) {
    lines.push(
      `  ${m.model.padEnd(24)} ${m.rating.toFixed(0).padStart(6)}  [${f1(m.lower)}, ${f1(m.upper)}]  raw ${m.rawRating.toFixed(0)}`,
    );
  }
  lines.push("style coefficients (log-odds per sd of the normalized difference):");
  for (const c of r.coefficients) lines.push(`  ${c.feature.padEnd(8)} ${f2(c.beta)} ± ${f2(c.se)}`);
  return `${lines.join("\n")}\n`;
}
