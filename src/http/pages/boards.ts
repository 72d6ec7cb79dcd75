import { intervalChartSvg } from "../../arena/plot.ts";
import type { ArenaBoard, Leaderboard } from "../../capmap/views.ts";
import { fmt1, href, html, modelHref, raw, type Safe } from "../html.ts";

function modelBadges(m: {
  merged?: boolean | undefined;
  flagged?: boolean | undefined;
  moe?: boolean | undefined;
}): Safe {
  return html`${m.merged ? html` <span class="badge">merge</span>` : ""}${m.flagged ? html` <span class="badge warn">flagged</span>` : ""}${m.moe ? html` <span class="badge">MoE</span>` : ""}`;
}

export { modelBadges };

export function benchmarksPage(lb: Leaderboard, query: Record<string, string | undefined>, cols: string[] = []): Safe {
  const chosen = lb.columns.length < lb.allColumns.length ? lb.columns.map((c) => c.metric) : undefined;
  const base = {
    source: lb.source,
    q: query.q,
    max_params: query.max_params,
    license: query.license,
    exclude_flagged: query.exclude_flagged,
    exclude_merged: query.exclude_merged,
  };
  // href() takes one value per key: the chosen columns go on as repeated cols= parameters.
  const withCols = (url: string) =>
    chosen
      ? `${url}${url.includes("?") ? "&" : "?"}${chosen.map((c) => `cols=${encodeURIComponent(c)}`).join("&")}`
      : url;
  const sortLink = (key: string, label: string) => {
    const dir = lb.sort === key ? (lb.dir === "desc" ? "asc" : "desc") : key === "model" ? "asc" : "desc";
    const arrow = lb.sort === key ? (lb.dir === "desc" ? " ▼" : " ▲") : "";
    return html`<a href="${withCols(href("/benchmarks", { ...base, sort: key, dir }))}">${label}${arrow}</a>`;
  };
  const pages = Math.max(1, Math.ceil(lb.total / lb.pageSize));
  const pageLink = (p: number, label: string) =>
    html`<a href="${withCols(href("/benchmarks", { ...base, sort: lb.sort, dir: lb.dir, page: p }))}">${label}</a>`;
  const sourceOptions = lb.sources.map(
    (s) =>
      html`<option value="${s.source}"${s.source === lb.source ? html` selected` : ""}>${s.source} (${s.models})</option>`,
  );
  const picked = new Set(cols.length ? lb.columns.map((c) => c.metric) : []);
  const chooser = lb.allColumns.length
    ? html`<details class="columns"><summary>Columns (${lb.columns.length} of ${lb.allColumns.length})</summary>${lb.allColumns.map(
        (c) =>
          html`<label class="check"><input type="checkbox" name="cols" value="${c.metric}"${picked.has(c.metric) ? html` checked` : ""}> ${c.label}</label>`,
      )}<p class="small muted">None ticked: every column.</p></details>`
    : "";
  return html`<h1>Benchmark leaderboard</h1>
<form class="filters" method="get" action="/benchmarks">
<label>Source<select name="source">${sourceOptions}</select></label>
<label>Model contains<input name="q" value="${query.q ?? ""}" placeholder="e.g. mistral"></label>
<label>Max params (B)<input name="max_params" value="${query.max_params ?? ""}" inputmode="decimal" size="5"></label>
<label>Licence<input name="license" value="${query.license ?? ""}" placeholder="apache-2.0" size="10"></label>
<label><span><input type="checkbox" name="exclude_flagged" value="1"${query.exclude_flagged ? html` checked` : ""}> hide flagged</span></label>
<label><span><input type="checkbox" name="exclude_merged" value="1"${query.exclude_merged ? html` checked` : ""}> hide merges</span></label>
${chooser}
<button type="submit">Filter</button></form>
${lb.sortNote ? html`<p class="note warn" id="sort-note">${lb.sortNote}</p>` : ""}
${
  lb.source === undefined
    ? html`<p class="muted" id="empty">No benchmark results yet. Import a table: <code>modelmap map import open-llm-leaderboard FILE</code>, or run the harness.</p>`
    : html`<p class="muted"><span id="total">${lb.total}</span> models · page ${lb.page} of ${pages}. Scores in the source's unit (percent) with their standard error; column heads show the random-guess baseline; <em>Avg (norm.)</em> is the mean of the scores above that baseline (0 = chance, 100 = perfect). <strong class="err">!</strong> marks a score a contamination or prompt-sensitivity check puts in doubt (hover for why).</p>
<div class="scroll"><table id="leaderboard" class="board"><thead><tr><th class="num">#</th><th>${sortLink("model", "Model")}</th><th class="num">${sortLink("params", "Params (B)")}</th><th class="num">${sortLink("average", "Avg (norm.)")}</th>${lb.columns.map(
        (c) =>
          html`<th class="num" title="${c.metric} · ${c.category}">${sortLink(c.metric, c.label)}<br><span class="muted small">random ${c.baseline === null ? "–" : fmt1(c.baseline)}</span></th>`,
      )}<th>Licence</th></tr></thead><tbody>
${lb.rows.map(
  (r, i) =>
    html`<tr${r.inDoubt ? html` class="demoted"` : ""}><td class="num">${(lb.page - 1) * lb.pageSize + i + 1}</td><td class="model"><a href="${modelHref(r.modelId)}" title="${r.modelId}">${r.modelId}</a>${modelBadges(r.model)}${r.inDoubt ? html` <span class="badge warn" title="${Object.values(r.inDoubt).flat().join("; ")}">in doubt</span>` : ""}</td><td class="num">${r.model.paramsB === undefined ? "?" : r.model.paramsB}</td><td class="num">${fmt1(r.average)}</td>${lb.columns.map(
      (c) =>
        html`<td class="num"${r.inDoubt?.[c.metric] ? html` title="${r.inDoubt[c.metric]?.join("; ")}"` : ""}>${fmt1(r.values[c.metric])}${r.inDoubt?.[c.metric] ? html` <strong class="err">!</strong>` : ""}${r.stderr[c.metric] === undefined ? "" : html`<span class="se">±${fmt1(r.stderr[c.metric])}</span>`}</td>`,
    )}<td class="small">${r.model.license ?? ""}</td></tr>`,
)}</tbody></table></div>
<div class="pager">${lb.page > 1 ? pageLink(lb.page - 1, "← previous") : ""}${lb.page < pages ? pageLink(lb.page + 1, "next →") : ""}</div>`
}`;
}

export function arenaPage(boards: ArenaBoard[], selected: number): Safe {
  if (boards.length === 0) {
    return html`<h1>Arena leaderboard</h1><p class="muted" id="empty">No pairwise ratings yet. Import a Chatbot Arena leaderboard table (<code>modelmap import arena FILE</code>) or collect votes.</p>`;
  }
  const b = boards[Math.min(selected, boards.length - 1)] as ArenaBoard;
  // Boards of one source and category differ by their metric (e.g. each vote source): name it then.
  const name = (x: ArenaBoard) =>
    boards.some((y) => y !== x && y.source === x.source && y.category === x.category)
      ? `${x.source} · ${x.category} · ${x.metric}`
      : `${x.source} · ${x.category}`;
  const tabs = boards.map(
    (x, i) =>
      html`<a href="${href("/arena", { board: i })}"${x === b ? html` aria-current="page"` : ""}>${name(x)}</a>`,
  );
  // The ratings engine's own arena chart (it escapes its labels), inlined so the page makes no extra request.
  const chart = raw(
    intervalChartSvg(
      b.rows.map((r) => ({ label: r.modelId, estimate: r.rating, lower: r.lo, upper: r.hi, group: r.tier })),
      { title: `${name(b)}: ratings with 95% intervals`, xLabel: "rating" },
    ),
  );
  return html`<h1>Arena leaderboard</h1>
<p class="pager">${tabs}</p>
<p class="muted">${b.rows.length} models from <strong>${b.source}</strong>, category <strong>${b.category}</strong>, metric <strong>${b.metric}</strong>. Rank = 1 + models whose interval lies entirely above; tiers (shaded bands) start where a model is surely below the head of the current tier. Win rate is the expected win rate against the category's mean-rated model, the map's common scale.</p>
<div class="scroll" id="chart">${chart}</div>
<div class="scroll"><table id="arena"><thead><tr><th class="num">Rank</th><th class="num">Tier</th><th>Model</th><th class="num">Rating</th><th class="num">95% CI</th><th class="num">Win rate vs mean</th><th class="num">Votes</th></tr></thead><tbody>
${b.rows.map(
  (r) =>
    html`<tr${r.rank === 1 ? html` class="tied"` : ""}><td class="num">${r.rank}</td><td class="num">${r.tier}</td><td><a href="${modelHref(r.modelId)}">${r.modelId}</a></td><td class="num">${r.rating.toFixed(0)}</td><td class="num">${r.lo.toFixed(0)} – ${r.hi.toFixed(0)}</td><td class="num">${fmt1(r.winRate)}%</td><td class="num">${r.votes ?? ""}</td></tr>`,
)}</tbody></table></div>`;
}
