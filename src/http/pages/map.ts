import { noneStandOut } from "../../capmap/card.ts";
import type { ModelComparison } from "../../capmap/compare.ts";
import { MIN_PEERS, type ModelProfile } from "../../capmap/profile.ts";
import { BENCHMARKS, JUDGE_SCORE_SD } from "../../capmap/scale.ts";
import type { SearchResult } from "../../capmap/service.ts";
import type { MapCell, MapOverview } from "../../capmap/views.ts";
import type { RunSummary } from "../../runner/views.ts";
import { fmt1, href, html, modelHref, raw, type Safe } from "../html.ts";
import { renderMarkdown } from "../markdown.ts";
import { type HeatCell, heatmap, intervalChart } from "../svg.ts";
import { modelBadges } from "./boards.ts";

/** How sources are put on one scale: shown on the map page and linked from every score. */
export function scaleNote(): Safe {
  const rows = Object.values(BENCHMARKS).map(
    (b) =>
      html`<tr><td>${b.label}</td><td>${b.category}</td><td class="num">${b.baseline}</td><td class="num">${b.items}</td><td class="small">${b.baselineNote}</td></tr>`,
  );
  return html`<section id="scale"><h2>How sources are put on one scale (0-100)</h2>
<ul><li><strong>Benchmarks</strong>: accuracy above the random-guess baseline as a share of the headroom, <code>100 × (acc − baseline) / (100 − baseline)</code>, floored at 0. Interval: binomial over the test set's items.</li>
<li><strong>Pairwise ratings</strong> (Arena, modelmap votes): expected win rate against the category's mean-rated model, <code>100 / (1 + 10^((mean − r)/400))</code>. Interval: the rating's own 95% interval mapped the same way.</li>
<li><strong>Single-answer judge scores</strong> (1-10, e.g. MT-bench): linear, <code>100 × (s − 1)/9</code>. Interval: from per-item scores, or an assumed spread of ${JUDGE_SCORE_SD} points when only the mean is known.</li>
<li><strong>A cell</strong> is the mean of its pieces of evidence (the same measurement republished by two tables counts once); its interval combines theirs as independent errors, so it reflects measurement noise, not disagreement between benchmarks.</li></ul>
<details><summary>Benchmarks, categories and random baselines</summary><div class="scroll"><table><thead><tr><th>Benchmark</th><th>Category</th><th class="num">Random baseline (%)</th><th class="num">Items</th><th>Note</th></tr></thead><tbody>${rows}</tbody></table></div></details></section>`;
}

/** A map cell for the heatmap: contamination found behind it marks it; checks go into its hover text. */
function heatCell(c: MapCell | undefined): HeatCell | undefined {
  if (!c) return undefined;
  const cell: HeatCell = { estimate: c.estimate, lo: c.lo, hi: c.hi, n: c.n, warn: c.demoted !== undefined };
  const ch = c.checks;
  if (!ch) return cell;
  cell.notes = [
    ...(c.demoted ?? []).map((x) => `in doubt: ${x}`),
    ...ch.contamination.map((x) => `contamination check, ${x.task}: ${x.text}`),
    ...ch.spread.map((x) => `prompt sensitivity, ${x.task}: ${x.text}`),
  ];
  return cell;
}

export function mapPage(m: MapOverview, query: Record<string, string | undefined>, limit: number): Safe {
  const nav = (offset: number, label: string) => html`<a href="${href("/map", { ...query, offset })}">${label}</a>`;
  const chart = heatmap(
    m.categories,
    m.rows.map((r) => ({
      label: r.modelId,
      href: modelHref(r.modelId),
      cells: m.categories.map((c) => heatCell(r.cells[c])),
    })),
    "Capability map: models by category, 0-100",
    {
      href: (c) => href("/map", { ...query, sort: c, offset: undefined }),
      active: m.sort === "mean" ? undefined : m.sort,
    },
  );
  return html`<h1>Capability map</h1>
<form class="filters" method="get" action="/map">
<label>Model contains<input name="q" value="${query.q ?? ""}"></label>
<label>Max params (B)<input name="max_params" value="${query.max_params ?? ""}" size="5" inputmode="decimal"></label>
<label>Licence<input name="license" value="${query.license ?? ""}" size="10"></label>
<label>Min categories<input name="min_categories" value="${query.min_categories ?? ""}" size="3" inputmode="numeric"></label>
<button type="submit">Show</button></form>
${
  m.rows.length === 0
    ? html`<p class="muted" id="empty">The map is empty. Import public results (<code>modelmap import open-llm-leaderboard FILE</code>) or run benchmarks.</p>`
    : html`<p class="muted"><span id="total">${m.total}</span> models match; showing ${m.offset + 1}-${m.offset + m.rows.length}, ranked by ${m.sort === "mean" ? "their mean over categories" : html`<strong>${m.sort}</strong> (<a href="${href("/map", { ...query, sort: undefined, offset: undefined })}">rank by the mean</a>)`}. Click a category to rank by it; hover a cell for its interval, evidence and checks (<strong>!</strong> with a dashed red border: the score is in doubt, because a contamination check flagged a benchmark behind the cell or its prompt spread is high; such a cell ranks last in its category and is left out of its model's mean; <strong>~</strong>: a prompt-sensitivity report gives the score's spread); click a model for its page.</p>
<div class="scroll" id="heatmap">${chart}</div>
<div class="pager">${m.offset > 0 ? nav(Math.max(0, m.offset - limit), "← previous") : ""}${m.offset + m.rows.length < m.total ? nav(m.offset + limit, "next →") : ""}</div>`
}
${scaleNote()}`;
}

export function searchPage(
  categories: string[],
  query: Record<string, string | undefined>,
  r: SearchResult | undefined,
): Safe {
  const opts = categories.map((c) => html`<option${c === query.category ? html` selected` : ""}>${c}</option>`);
  const form = html`<form class="filters" method="get" action="/search">
<label>Category<select name="category">${opts}</select></label>
<label>Max params (B)<input name="max_params" value="${query.max_params ?? ""}" size="5" inputmode="decimal"></label>
<label>Licence<input name="license" value="${query.license ?? ""}" size="10" placeholder="apache-2.0"></label>
<label>Top<input name="top" value="${query.top ?? "10"}" size="3" inputmode="numeric"></label>
<label title="models flagged on their leaderboard, and scores a contamination or prompt-sensitivity check put in doubt"><span><input type="checkbox" name="exclude_flagged" value="1"${query.exclude_flagged ? html` checked` : ""}> hide flagged</span></label>
<button type="submit">Search</button></form>`;
  if (!r) {
    return html`<h1>Find a model</h1>${form}<p class="muted" id="empty">${categories.length ? "Pick a category." : "The map is empty: import results first."}</p>`;
  }
  const chart = intervalChart(
    r.results.map((h) => ({
      label: h.demoted ? `${h.modelId} (in doubt)` : h.modelId,
      estimate: h.estimate,
      lo: h.lo,
      hi: h.hi,
      mark: h.tiedForFirst,
    })),
    { title: `Top models for ${r.category}`, unit: "/100" },
  );
  const hidden = query.exclude_flagged && r.demoted > 0;
  return html`<h1>Find a model</h1>${form}
<p><strong>${r.total}</strong> models in <strong>${r.category}</strong> match${hidden ? html` (<span id="hidden-flagged">${r.demoted}</span> with a score in doubt hidden)` : ""}.</p>
${
  r.demoted > 0 && !hidden
    ? html`<p class="note warn" id="demoted">${r.demoted} score(s) here are in doubt and listed last, never recommended: ${r.results
        .filter((h) => h.demoted)
        .map(
          (h, i) => html`${i ? "; " : ""}<a href="${modelHref(h.modelId)}">${h.modelId}</a>: ${h.demoted?.join("; ")}`,
        )}</p>`
    : ""
}
${
  r.tiedForFirstCount > 1
    ? html`<p class="note" id="tied">You cannot tell these <strong>${r.tiedForFirstCount}</strong> apart (tied for first): ${r.tiedForFirst.slice(0, 12).map((t, i) => html`${i ? ", " : ""}<a href="${modelHref(t.modelId)}">${t.modelId}</a>`)}${r.tiedForFirstCount > 12 ? ` and ${r.tiedForFirstCount - 12} more` : ""}</p>`
    : r.tiedForFirstCount === 1
      ? html`<p class="note" id="tied">Clear first: <a href="${modelHref(r.tiedForFirst[0]?.modelId ?? "")}">${r.tiedForFirst[0]?.modelId}</a>; every other model's interval lies below its lower bound.</p>`
      : ""
}
<div class="scroll">${chart}</div>
<div class="scroll"><table id="results"><thead><tr><th class="num">Rank</th><th>Model</th><th class="num">Score</th><th class="num">95% CI</th><th class="num">Params (B)</th><th>Licence</th><th>Evidence</th></tr></thead><tbody>
${r.results.map(
  (h) =>
    html`<tr${h.tiedForFirst ? html` class="tied"` : h.demoted ? html` class="demoted"` : ""}><td class="num">${h.rank}</td><td><a href="${modelHref(h.modelId)}">${h.modelId}</a>${modelBadges(h.model)}${h.demoted ? html` <span class="badge warn" title="${h.demoted.join("; ")}">in doubt</span>` : ""}</td><td class="num">${fmt1(h.estimate)}</td><td class="num">${fmt1(h.lo)} – ${fmt1(h.hi)}</td><td class="num">${h.model.paramsB ?? "?"}</td><td>${h.model.license ?? ""}</td><td class="small">${h.evidence} · ${h.sources.join(", ")}</td></tr>`,
)}</tbody></table></div><p class="small muted">Scores on the common 0-100 scale (<a href="/map#scale">how</a>). Highlighted rows are tied for first. Rank = 1 + the number of trusted models surely better (whose interval lies wholly above), so a model with a wide interval can have a smaller rank than one listed above it. Rows marked <span class="badge warn">in doubt</span> come last whatever their score: a stored check says the score may not measure the skill.</p>`;
}

export function modelPage(
  p: ModelProfile,
  runs: RunSummary[],
  checks: { sensitivity: string[]; contamination: string[] } = { sensitivity: [], contamination: [] },
): Safe {
  const m = p.model;
  const peers = p.sizeBand
    ? `models of ${fmt1(p.sizeBand.min)}B-${fmt1(p.sizeBand.max)}B parameters`
    : "all models (size unknown)";
  const chart = intervalChart(
    p.categories.map((c) => ({
      label: c.cell.category,
      estimate: c.cell.estimate,
      lo: c.cell.lo,
      hi: c.cell.hi,
      mark: c.verdict === "strength",
    })),
    { title: `${m.id} by category`, unit: "/100" },
  );
  return html`<h1>${m.id}${modelBadges(m)}</h1>
<dl class="facts">
<dt>Parameters</dt><dd>${m.paramsB === undefined ? "unknown" : `${m.paramsB}B`}</dd>
<dt>Licence</dt><dd>${m.license ?? "unknown"}</dd>
<dt>Architecture</dt><dd>${m.architecture ?? "unknown"}</dd>
<dt>Base model</dt><dd>${m.baseModel ? html`<a href="${modelHref(m.baseModel)}">${m.baseModel}</a>` : "–"}</dd>
<dt>Date</dt><dd>${m.date?.slice(0, 10) ?? "–"}</dd>
<dt>Type</dt><dd>${m.type ?? "–"}${m.hasChatTemplate === undefined ? "" : m.hasChatTemplate ? " · has chat template" : " · no chat template"}</dd>
${m.url ? html`<dt>Hub</dt><dd>${m.url}</dd>` : ""}
</dl>
${
  p.flagged.length
    ? html`<div class="note warn" id="flagged"><strong>Scores in doubt.</strong> ${p.flagged.map((f) => html`<p><strong>${f.category}</strong>: ${f.reasons.join("; ")}.</p>`)}<p class="small">These categories are never called strengths and rank after trusted scores in search and on the map.</p></div>`
    : ""
}
<h2>Strengths and weaknesses</h2>
<p>Relative to ${peers}. <strong>Strengths:</strong> <span id="strengths">${p.strengths.join(", ") || noneStandOut(p, "at or above the 75th")}</span>. <strong>Weaknesses:</strong> <span id="weaknesses">${p.weaknesses.join(", ") || noneStandOut(p, "at or below the 25th")}</span>.</p>
<div class="scroll">${chart}</div>
<div class="scroll"><table id="categories"><thead><tr><th>Category</th><th class="num">Score</th><th class="num">95% CI</th><th class="num">Percentile among peers</th><th class="num">Peers surely better</th><th>Verdict</th></tr></thead><tbody>
${p.categories.map(
  (c) =>
    html`<tr><td>${c.cell.category}</td><td class="num">${fmt1(c.cell.estimate)}</td><td class="num">${fmt1(c.cell.lo)} – ${fmt1(c.cell.hi)}</td><td class="num">${Math.round(c.percentile)} (${c.peers} peers)</td><td class="num">${c.surelyBetter}</td><td>${c.verdict === "strength" ? html`<span class="badge good">strength</span>` : c.verdict === "weakness" ? html`<span class="badge warn">weakness</span>` : c.verdict === "flagged" ? html`<span class="badge warn" title="${c.demoted?.join("; ") ?? ""}">in doubt</span>` : c.peers < MIN_PEERS ? html`<span class="muted" title="fewer than ${MIN_PEERS} models of similar size">too few peers</span>` : "typical"}</td></tr>`,
)}</tbody></table></div>
<h2>Evidence</h2>
<div class="scroll"><table id="evidence"><thead><tr><th>Category</th><th>Metric</th><th>Source</th><th class="num">Value</th><th class="num">95% CI</th><th class="num">Items</th><th class="num">Random</th><th class="num">Scaled</th></tr></thead><tbody>
${p.categories.flatMap((c) =>
  c.evidence.map(
    (e) =>
      html`<tr><td>${e.category}</td><td>${BENCHMARKS[e.metric]?.label ?? e.metric}</td><td>${e.source}</td><td class="num">${fmt1(e.value)}</td><td class="num">${e.lo === undefined ? "" : `${fmt1(e.lo)} – ${fmt1(e.hi)}`}</td><td class="num">${e.n ?? ""}</td><td class="num">${e.baseline ?? ""}</td><td class="num">${fmt1(e.scaled)}</td></tr>`,
  ),
)}</tbody></table></div>
<h2>Sensitivity and contamination</h2>
${
  checks.sensitivity.length + checks.contamination.length === 0
    ? html`<p class="muted" id="checks">No prompt-sensitivity or contamination checks recorded for this model.</p>`
    : html`<ul id="checks">${checks.sensitivity.map((x) => html`<li>Sensitivity: ${x}</li>`)}${checks.contamination.map((x) => html`<li>Contamination: ${x}</li>`)}</ul>`
}
<h2>Runs</h2>
${
  runs.length === 0
    ? html`<p class="muted">No modelmap runs of this model; the evidence above is imported. Chat template and system prompt: not recorded by the sources.</p>`
    : html`<ul>${runs.map((r) => html`<li><a href="/runs/${encodeURIComponent(r.id)}">${r.id}</a> · ${r.status} · ${r.created_at}</li>`)}</ul>`
}
<p><a href="${modelHref(m.id).replace(/^\/models/, "/cards")}" id="card-page">Model card</a> (<a href="${modelHref(m.id).replace(/^\/models/, "/card")}" id="card-link">markdown</a>) · <a href="${href("/compare", { a: m.id })}">Compare with…</a> · <a href="${modelHref(m.id).replace(/^\/models/, "/api/models")}">JSON</a></p>`;
}

export function comparePage(
  query: Record<string, string | undefined>,
  c: ModelComparison | undefined,
  error?: string,
): Safe {
  const form = html`<form class="filters" method="get" action="/compare">
<label>Model A<input name="a" value="${query.a ?? ""}" size="30"></label>
<label>Model B<input name="b" value="${query.b ?? ""}" size="30"></label>
<button type="submit">Compare</button></form>`;
  if (!c)
    return html`<h1>Compare two models</h1>${form}${error ? html`<p class="badge warn" id="error">${error}</p>` : html`<p class="muted">Enter two model ids (Hugging Face ids as imported).</p>`}`;
  const withDiff = c.categories.filter((x) => x.diff !== undefined);
  const chart = intervalChart(
    withDiff.map((x) => ({
      label: x.category,
      estimate: x.diff as number,
      lo: x.lo as number,
      hi: x.hi as number,
      mark: x.verdict !== "tie",
    })),
    { title: "A − B by category", zeroLine: true, unit: "points" },
  );
  return html`<h1>Compare two models</h1>${form}
<p>A = <a href="${modelHref(c.a.id)}">${c.a.id}</a> (${c.a.paramsB ?? "?"}B) · B = <a href="${modelHref(c.b.id)}">${c.b.id}</a> (${c.b.paramsB ?? "?"}B)</p>
${withDiff.length ? html`<div class="scroll">${chart}</div>` : ""}
<div class="scroll"><table id="comparison"><thead><tr><th>Category</th><th class="num">A</th><th class="num">B</th><th class="num">A − B</th><th class="num">95% CI</th><th>Basis</th><th>Verdict</th></tr></thead><tbody>
${c.categories.map(
  (x) =>
    html`<tr><td>${x.category}</td><td class="num">${fmt1(x.a?.estimate)}</td><td class="num">${fmt1(x.b?.estimate)}</td><td class="num">${fmt1(x.diff)}</td><td class="num">${x.lo === undefined ? "" : `${fmt1(x.lo)} – ${fmt1(x.hi)}`}</td><td class="small">${x.basis === "shared" ? `${x.shared.length} shared metric(s): ${x.shared.map((s) => BENCHMARKS[s.metric]?.label ?? s.metric).join(", ")}${x.paired ? " (paired)" : ""}` : x.basis}</td><td>${x.verdict === "a" ? "A better" : x.verdict === "b" ? "B better" : x.verdict === "tie" ? "cannot tell" : "no evidence for one"}</td></tr>`,
)}</tbody></table></div>
<p class="small muted">Where both models were measured on the same metrics only those are compared; differences of aggregate scores are unpaired (per-item scores are paired when both come from modelmap runs on the same items).</p>`;
}

/** A model card as a page: the markdown rendered by the safe renderer; its YAML header shown as it is. */
export function cardPage(id: string, markdown: string): Safe {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(markdown);
  const body = m ? markdown.slice(m[0].length) : markdown;
  return html`<p><a href="${modelHref(id)}">← ${id}</a> · <a href="${modelHref(id).replace(/^\/models/, "/card")}">markdown (to paste into a Hugging Face model card)</a></p>
${m ? html`<details><summary>Metadata (YAML header)</summary><pre id="card-yaml">${m[1]}</pre></details>` : ""}
<article class="card" id="card">${raw(renderMarkdown(body))}</article>`;
}
