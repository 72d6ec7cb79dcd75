import type { CategoryOrdering, ExperimentAnalysis } from "../../ab/analyze.ts";
import { SRM_ALPHA } from "../../ab/analyze.ts";
import { formatP, pText } from "../../core/format.ts";
import type { MetaBlock, SignalRow, StoredMeta } from "../../meta/service.ts";
import { fmt1, href, html, modelHref, type Safe } from "../html.ts";
import { intervalChart, niceTicks } from "../svg.ts";

/** A value in the metric's unit with enough digits to tell variants apart. */
function digits(a: ExperimentAnalysis): number {
  const max = Math.max(...a.variants.map((v) => Math.abs(v.value)));
  return max >= 100 ? 1 : max >= 1 ? 3 : 4;
}

const signed = (x: number, d: number) => `${x >= 0 ? "+" : ""}${x.toFixed(d)}`;

function outcome(a: ExperimentAnalysis): Safe {
  if (a.srm.flagged) return html`<span class="badge warn">SRM: not trusted</span>`;
  if (a.outcomes.length === 0) return html`<span class="muted">no detectable difference</span>`;
  return html`${a.outcomes.map((o, i) => html`${i ? "; " : ""}<a href="${modelHref(o.winner)}">${o.winner}</a> &gt; <a href="${modelHref(o.loser)}">${o.loser}</a>`)}`;
}

function srmNote(a: ExperimentAnalysis): Safe {
  return html`<p class="note warn srm">Sample-ratio mismatch: the units per variant (${a.variants.map((v) => v.units).join(" / ")}) do not match the planned split (${a.variants.map((v) => `${(100 * v.plannedShare).toFixed(0)}%`).join(" / ")}); chi-square ${a.srm.chi2.toFixed(1)}, ${pText(a.srm.p)} &lt; ${SRM_ALPHA}. The assignment was broken, so its effects are shown but not trusted, and it adds nothing to the ordering.</p>`;
}

function orderingTable(o: CategoryOrdering): Safe {
  const head = html`<h3>${o.category}</h3><p class="small muted">${o.experiments} experiment(s), ${o.outcomes} decisive model outcome(s)${o.srmExcluded ? `, ${o.srmExcluded} left out for a sample-ratio mismatch` : ""}.</p>`;
  if (!o.ranking)
    return html`${head}<p class="muted">No ordering: decisive outcomes between at least two models are needed.</p>`;
  return html`${head}<div class="scroll"><table class="ordering"><thead><tr><th class="num">Rank</th><th>Model</th><th class="num">Rating</th><th class="num">95% CI</th><th class="num">Wins</th><th class="num">Losses</th></tr></thead><tbody>${o.ranking.models.map(
    (m) =>
      html`<tr><td class="num">${m.rank}</td><td><a href="${modelHref(m.model)}">${m.model}</a></td><td class="num">${m.rating.toFixed(0)}</td><td class="num">${m.ci_lower.toFixed(0)} – ${m.ci_upper.toFixed(0)}</td><td class="num">${m.wins}</td><td class="num">${m.losses}</td></tr>`,
  )}</tbody></table></div>`;
}

export function experimentsPage(
  list: ExperimentAnalysis[],
  orderings: CategoryOrdering[],
  categories: string[],
  category: string | undefined,
): Safe {
  const opts = categories.map((c) => html`<option${c === category ? html` selected` : ""}>${c}</option>`);
  const form = html`<form class="filters" method="get" action="/experiments"><label>Category<select name="category"><option value="">all</option>${opts}</select></label><button type="submit">Show</button></form>`;
  if (list.length === 0)
    return html`<h1>Experiments</h1>${form}<p class="muted" id="empty">No online experiments stored. Import your A/B tests with <code>modelmap ab import FILE</code> (format: docs/ab-testing.md; <code>fixtures/ab/experiments.jsonl</code> is an example).</p>`;
  const flagged = list.filter((a) => a.srm.flagged);
  return html`<h1>Experiments</h1>${form}
<p class="muted">Online experiments (A/B tests) you ran in production: each effect is the difference to the control with a 95% interval; a sample-ratio mismatch (SRM) means the traffic split was broken and the experiment is not trusted. The decisive outcomes order the models per use case (below), a source on the map (<code>ab-tests</code>).</p>
${flagged.length ? html`<p class="note warn" id="srm-warning"><strong>${flagged.length} experiment(s) with a sample-ratio mismatch</strong>: ${flagged.map((a, i) => html`${i ? ", " : ""}<a href="/experiments/${encodeURIComponent(a.id)}">${a.id}</a> (${pText(a.srm.p)})`)}. Their effects are not used.</p>` : ""}
<div class="scroll"><table id="experiments"><thead><tr><th>Experiment</th><th>Category</th><th>Metric</th><th>Dates</th><th class="num">Variants</th><th>Effects vs control (95% CI)</th><th class="num">SRM p</th><th>Outcome</th></tr></thead><tbody>
${list.map((a) => {
  const d = digits(a);
  const vsControl = a.effects.filter((e) => e.a === a.variants[0]?.name);
  return html`<tr${a.srm.flagged ? html` class="demoted"` : ""}><td><a href="/experiments/${encodeURIComponent(a.id)}">${a.id}</a></td><td>${a.category}</td><td>${a.metric}${a.higherIsBetter ? "" : " (lower is better)"}</td><td class="small">${a.start.slice(0, 10)} – ${a.end.slice(0, 10)}</td><td class="num">${a.variants.length}</td><td class="small">${vsControl.map((e, i) => html`${i ? html`<br>` : ""}${e.b}: ${signed(e.effect.estimate, d)} [${signed(e.effect.lower, d)}, ${signed(e.effect.upper, d)}]${e.better ? html` <strong>${e.better === "b" ? "better" : "worse"}</strong>` : ""}`)}</td><td class="num">${formatP(a.srm.p)}${a.srm.flagged ? html` <span class="badge warn">SRM</span>` : ""}</td><td class="small">${outcome(a)}</td></tr>`;
})}</tbody></table></div>
<h2>Orderings per use case</h2>${orderings.map(orderingTable)}`;
}

export function experimentPage(a: ExperimentAnalysis): Safe {
  const d = digits(a);
  const chart = intervalChart(
    a.effects.map((e) => ({
      label: `${e.b} − ${e.a}`,
      estimate: e.effect.estimate,
      lo: e.effect.lower,
      hi: e.effect.upper,
      mark: e.better !== null,
    })),
    { title: `${a.id}: effects with 95% intervals (${a.metric})`, zeroLine: true },
  );
  return html`<h1>Experiment ${a.id}</h1>
<p><a href="${href("/experiments", { category: a.category })}">← experiments in ${a.category}</a> · ${a.metric} (${a.kind}, ${a.higherIsBetter ? "higher" : "lower"} is better) · ${a.start.slice(0, 10)} – ${a.end.slice(0, 10)}</p>
${a.srm.flagged ? srmNote(a) : html`<p class="muted" id="srm">Sample-ratio check: ${pText(a.srm.p)} (chi-square ${a.srm.chi2.toFixed(1)}); the split is as planned.</p>`}
<h2>Variants</h2><div class="scroll"><table id="variants"><thead><tr><th>Variant</th><th>Model</th><th>Preset</th><th class="num">Units</th><th class="num">Planned share</th><th class="num">Value</th><th class="num">Std. error</th></tr></thead><tbody>${a.variants.map(
    (v, i) =>
      html`<tr><td>${v.name}${i === 0 ? html` <span class="badge">control</span>` : ""}</td><td><a href="${modelHref(v.modelId)}">${v.model}</a></td><td>${v.preset ?? ""}</td><td class="num">${v.units}</td><td class="num">${(100 * v.plannedShare).toFixed(1)}%</td><td class="num">${v.value.toFixed(d)}</td><td class="num">${v.se.toFixed(d)}</td></tr>`,
  )}</tbody></table></div>
<h2>Effects</h2><div class="scroll">${chart}</div>
<div class="scroll"><table id="effects"><thead><tr><th>Comparison</th><th class="num">Effect</th><th class="num">95% CI</th><th class="num">Relative</th><th class="num">p</th><th>Verdict</th></tr></thead><tbody>${a.effects.map(
    (e) =>
      html`<tr><td>${e.b} vs ${e.a}</td><td class="num">${signed(e.effect.estimate, d)}</td><td class="num">${signed(e.effect.lower, d)} – ${signed(e.effect.upper, d)}</td><td class="num">${Number.isFinite(e.relative) ? `${signed(100 * e.relative, 1)}%` : "–"}</td><td class="num">${formatP(e.effect.p)}</td><td>${e.better === null ? "no detectable difference" : `${e.better === "b" ? e.b : e.a} better`}</td></tr>`,
  )}</tbody></table></div>
<h2>Outcome</h2><p id="outcome">${outcome(a)}</p>
${a.notes.length ? html`<ul class="small">${a.notes.map((n) => html`<li>${n}</li>`)}</ul>` : ""}`;
}

const f2 = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? "–" : x.toFixed(2));
const pct = (x: number | null | undefined) =>
  x === null || x === undefined || Number.isNaN(x) ? "–" : `${(100 * x).toFixed(0)}%`;
const ciText = (c: { estimate: number; lower: number; upper: number } | null) =>
  c ? `${f2(c.estimate)} [${f2(c.lower)}, ${f2(c.upper)}]` : "–";

/** Agreement (Kendall's tau with the reference) against separability, one labelled dot per signal. */
function agreementChart(b: MetaBlock): Safe {
  const rows = b.rows.filter((r) => r.kendall !== null && r.separability !== null);
  const w = 620;
  const h = 300;
  const left = 56;
  const top = 16;
  const pw = 380;
  const ph = 230;
  const x = (s: number) => left + s * pw;
  const y = (t: number) => top + ((1 - t) / 2) * ph;
  const xt = niceTicks(0, 1, 5);
  const yt = niceTicks(-1, 1, 4);
  const axes = html`${xt.map((v) => html`<line x1="${x(v)}" x2="${x(v)}" y1="${top}" y2="${top + ph}" stroke="#e3e7ec"/><text x="${x(v)}" y="${top + ph + 16}" text-anchor="middle" fill="#5b6470">${Math.round(100 * v)}%</text>`)}${yt.map((v) => html`<line x1="${left}" x2="${left + pw}" y1="${y(v)}" y2="${y(v)}" stroke="${v === 0 ? "#8a1c14" : "#e3e7ec"}"${v === 0 ? html` stroke-dasharray="3 3"` : ""}/><text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#5b6470">${v}</text>`)}<text x="${left + pw / 2}" y="${h - 4}" text-anchor="middle" fill="#1b1f24">separability (pairs the signal tells apart)</text><text transform="translate(14,${top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#1b1f24">agreement (Kendall tau)</text>`;
  const color = (r: SignalRow) =>
    r.verdict === "agrees" ? "#155d2b" : r.verdict === "reversed" ? "#b3261e" : "#5b6470";
  const dots = rows.map((r) => {
    const k = r.kendall as { estimate: number; lower: number; upper: number };
    const cx = x(r.separability as number);
    return html`<line x1="${cx}" x2="${cx}" y1="${y(k.lower)}" y2="${y(k.upper)}" stroke="${color(r)}" stroke-opacity="0.45" stroke-width="2"/><circle cx="${cx}" cy="${y(k.estimate)}" r="4" fill="${color(r)}"><title>${r.signal}: Kendall ${ciText(k)}, separability ${pct(r.separability)}, ${r.verdict}</title></circle><text x="${cx + 6}" y="${y(k.estimate) + 4}" fill="${color(r)}">${r.signal.length > 34 ? `${r.signal.slice(0, 33)}…` : r.signal}</text>`;
  });
  return html`<svg role="img" aria-label="agreement against separability" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg"><title>Agreement with ${b.reference.signal} against separability</title>${axes}${dots}</svg>`;
}

function metaBlock(m: StoredMeta): Safe {
  const b = m.block;
  const sorted = [...b.rows].sort((x, y) => (y.kendall?.estimate ?? -2) - (x.kendall?.estimate ?? -2));
  const best = sorted.find((s) => s.kendall !== null && s.verdict === "agrees");
  return html`<section class="meta-block"><h2>Against ${b.reference.signal}</h2>
<p class="muted">${b.reference.models} models, separability of the reference ${pct(b.reference.separability)}; measured ${m.measuredAt.slice(0, 10)} (seed ${b.settings.seed}, ${b.settings.bootstrap} bootstrap rounds).${best ? html` <strong>Trust ${best.signal} most here</strong> (Kendall ${f2(best.kendall?.estimate)}).` : " No signal agrees with the reference beyond chance."}</p>
<div class="scroll">${agreementChart(b)}</div>
<div class="scroll"><table class="meta"><thead><tr><th>Signal</th><th class="num">Models</th><th class="num">Spearman [95% CI]</th><th class="num">Kendall [95% CI]</th><th class="num">Separability</th><th class="num">Agreement</th><th class="num">Brier</th><th class="num">BenchBench z</th><th>Verdict</th></tr></thead><tbody>${sorted.map(
    (s) =>
      html`<tr${s.verdict === "reversed" ? html` class="demoted"` : ""}><td>${s.signal}</td><td class="num">${s.models}</td><td class="num">${ciText(s.spearman)}</td><td class="num">${ciText(s.kendall)}</td><td class="num">${pct(s.separability)}</td><td class="num">${f2(s.agreement?.score)}</td><td class="num">${f2(s.brier)}</td><td class="num">${f2(s.benchbench?.z)}</td><td>${s.verdict === "agrees" ? html`<span class="badge good">agrees</span>` : s.verdict === "reversed" ? html`<span class="badge warn">reversed</span>` : s.verdict}</td></tr>`,
  )}</tbody></table></div></section>`;
}

export function signalsPage(reports: StoredMeta[], categories: string[], category: string | undefined): Safe {
  const tabs = categories.map(
    (c) =>
      html`<a href="/signals/${encodeURIComponent(c)}"${c === category ? html` aria-current="page"` : ""}>${c}</a>`,
  );
  const intro = html`<h1>Which signal to trust${category ? `: ${category}` : ""}</h1>
<p class="muted">How well each signal on the map (benchmarks, judge grades, votes, imported tables) reproduces a reference you trust (your A/B orderings, Chatbot Arena), on the models both cover. Agreement is Kendall's tau with a bootstrap 95% interval; separability is the share of model pairs the signal tells apart. Search in a category with a reference weights its evidence by this agreement. Definitions: docs/capability-map.md, "Which signal to trust".</p>
${tabs.length ? html`<p class="pager" id="categories">${tabs}</p>` : ""}`;
  if (reports.length === 0)
    return html`${intro}<p class="muted" id="empty">No meta-evaluation kept${category ? ` for ${category}` : ""}. Run <code>modelmap meta --reference ab</code> (after <code>modelmap ab import FILE</code>) or <code>modelmap meta --reference arena</code>; the last one per reference and category shows here.</p>`;
  if (!category)
    return html`${intro}<div class="scroll"><table id="meta-reports"><thead><tr><th>Category</th><th>Reference</th><th class="num">Models</th><th class="num">Signals</th><th>Agrees best</th><th>Measured</th></tr></thead><tbody>${reports.map(
      (m) => {
        const best = [...m.block.rows]
          .filter((r) => r.verdict === "agrees")
          .sort((x, y) => (y.kendall?.estimate ?? -2) - (x.kendall?.estimate ?? -2))[0];
        return html`<tr><td><a href="/signals/${encodeURIComponent(m.category)}">${m.category}</a></td><td>${m.reference}</td><td class="num">${m.block.reference.models}</td><td class="num">${m.block.rows.length}</td><td>${best ? `${best.signal} (Kendall ${f2(best.kendall?.estimate)})` : "none"}</td><td>${m.measuredAt.slice(0, 10)}</td></tr>`;
      },
    )}</tbody></table></div>`;
  return html`${intro}${reports.map(metaBlock)}<p class="small muted">Values are the map's 0-100 scores: ${fmt1(0)} to ${fmt1(100)} per category.</p>`;
}
