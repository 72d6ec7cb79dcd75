import { formatP } from "../../core/format.ts";
import type { ChoiceView, DigestPage, Outcome, ResultRow, SampleDiff, SampleDigest } from "../../runner/sample-view.ts";
import type { TaskComparison } from "../../runner/service.ts";
import type { RunSummary, RunView } from "../../runner/views.ts";
import { href, html, modelHref, type Safe } from "../html.ts";

function json(v: unknown): string {
  return JSON.stringify(v, null, 2) ?? "null";
}

function str(v: unknown): string {
  if (v === undefined || v === null) return "";
  return typeof v === "string" ? v : json(v);
}

/** A one-request sample's answer without its list. */
const single = (v: unknown): unknown => (Array.isArray(v) && v.length === 1 ? v[0] : v);
/** Per filter, the filtered answer of a one-request sample without its list. */
function unwrap(v: unknown): unknown {
  if (!v || typeof v !== "object" || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, single(x)]));
}

const f4 = (x: number | null | undefined) => (x === null || x === undefined ? "–" : x.toFixed(4));
const short = (s: string, n = 140) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const runHref = (id: string, q: Record<string, string | number | undefined> = {}) =>
  href(`/runs/${encodeURIComponent(id)}`, q);
const sampleHref = (run: string, s: { task: string; docId: number }) =>
  `/runs/${encodeURIComponent(run)}/samples/${encodeURIComponent(s.task)}/${s.docId}`;

export function runsPage(runs: RunSummary[]): Safe {
  if (runs.length === 0) {
    return html`<h1>Runs</h1><p class="muted" id="empty">No benchmark runs recorded yet. Run <code>modelmap eval</code> (or <code>npm start</code>) to create one.</p>`;
  }
  const options = runs.map((r) => html`<option value="${r.id}">${r.id} · ${r.model}</option>`);
  return html`<h1>Runs</h1>
<form class="filters" method="get" action="/runs/compare"><label>Run A<select name="a">${options}</select></label><label>Run B<select name="b">${options}</select></label><button type="submit">Compare</button></form>
<div class="scroll"><table id="runs"><thead><tr><th>Run</th><th>Model</th><th>Tasks</th><th>Status</th><th>Created</th></tr></thead><tbody>
${runs.map(
  (r) =>
    html`<tr><td><a href="/runs/${encodeURIComponent(r.id)}">${r.id}</a></td><td><a href="${modelHref(r.model)}">${r.model}</a></td><td class="small">${r.tasks.join(", ")}</td><td>${r.status}</td><td class="small">${r.created_at}</td></tr>`,
)}</tbody></table></div>`;
}

/** Results as rows: metric, filter, value, standard error, and the random baseline of the primary metric. */
export function resultsTable(rows: ResultRow[], link?: (task: string) => string): Safe {
  if (rows.length === 0) return html`<p class="muted">No results recorded (the run has not finished).</p>`;
  let last = "";
  return html`<div class="scroll"><table id="results"><thead><tr><th>Task</th><th>Metric</th><th>Filter</th><th class="num">Value</th><th class="num">Std. error</th><th class="num">Random baseline</th><th class="num">Normalised (0 = chance)</th><th class="num">n</th><th class="num">Errors</th></tr></thead><tbody>${rows.map(
    (r) => {
      const first = r.task !== last;
      last = r.task;
      return html`<tr${r.primary ? html` class="primary"` : ""}><td>${first ? (link ? html`<a href="${link(r.task)}">${r.task}</a>` : r.task) : ""}</td><td>${r.metric}${r.primary ? html` <span class="badge">primary</span>` : ""}</td><td>${r.filter}</td><td class="num">${f4(r.value)}</td><td class="num">${f4(r.stderr)}</td><td class="num">${r.baseline === null ? "" : f4(r.baseline)}</td><td class="num">${r.normalized === null ? "" : r.normalized.toFixed(1)}</td><td class="num">${first ? (r.n ?? "") : ""}</td><td class="num">${first ? (r.errors ?? "") : ""}</td></tr>`;
    },
  )}</tbody></table></div>`;
}

/** The run's settings as facts; the raw record stays one click away. */
function settings(cfg: Record<string, unknown>): Safe {
  const v = (k: string) => cfg[k];
  const prompting = (v("model_prompting") ?? null) as Record<string, unknown> | null;
  return html`<dl class="facts" id="config">
<dt>Chat template</dt><dd>${v("chat_template") === true ? "the model's own, applied" : v("chat_template") === false ? "not applied (raw prompt)" : "not recorded"}${prompting && typeof prompting.templateSource === "string" ? ` · source ${prompting.templateSource}${prompting.templateName ? ` (${String(prompting.templateName)})` : ""}` : ""}</dd>
<dt>System prompt</dt><dd>${str(v("system_prompt")) || "none"}</dd>
<dt>Few-shot</dt><dd>${v("num_fewshot") === null || v("num_fewshot") === undefined ? "task default" : str(v("num_fewshot"))}${v("fewshot_as_multiturn") === true ? " · as turns" : ""}</dd>
<dt>Limit</dt><dd>${v("limit") === null || v("limit") === undefined ? "every document" : `${str(v("limit"))} documents per task`}</dd>
<dt>Seed</dt><dd>${str(v("seed"))}</dd>
</dl><details><summary>Full configuration (JSON)</summary><pre>${json(cfg)}</pre></details>`;
}

const OUTCOMES: Array<[Outcome | "", string]> = [
  ["", "all"],
  ["pass", "passed"],
  ["fail", "failed"],
  ["error", "errors"],
  ["scored", "other scores"],
];

function outcomeBadge(o: Outcome, score: number | undefined): Safe {
  if (o === "pass") return html`<span class="badge good">pass</span>`;
  if (o === "fail") return html`<span class="badge warn">fail</span>`;
  if (o === "error") return html`<span class="badge warn">error</span>`;
  return html`<span class="badge">${score === undefined ? "–" : score.toFixed(3)}</span>`;
}

function samplesSection(run: RunView, list: DigestPage, query: { outcome?: string; q?: string }): Safe {
  const pages = Math.max(1, Math.ceil(list.total / list.page_size));
  const base = { task: list.task, outcome: query.outcome, q: query.q };
  const pageLink = (p: number, label: string) => html`<a href="${runHref(run.id, { ...base, page: p })}">${label}</a>`;
  const c = list.counts;
  const all = c.pass + c.fail + c.error + c.scored;
  return html`<h2>Samples of ${list.task}</h2>
<form class="filters" method="get" action="/runs/${encodeURIComponent(run.id)}"><input type="hidden" name="task" value="${list.task}">
<label>Outcome<select name="outcome">${OUTCOMES.map(([v, l]) => html`<option value="${v}"${(query.outcome ?? "") === v ? html` selected` : ""}>${l}</option>`)}</select></label>
<label>Text in prompt, target or prediction<input name="q" value="${query.q ?? ""}" size="24"></label><button type="submit">Filter</button></form>
<p class="muted" id="sample-counts">${all} samples: <a href="${runHref(run.id, { task: list.task, outcome: "pass" })}">${c.pass} passed</a>, <a href="${runHref(run.id, { task: list.task, outcome: "fail" })}">${c.fail} failed</a>${c.error ? html`, <a href="${runHref(run.id, { task: list.task, outcome: "error" })}">${c.error} errors</a>` : ""}${c.scored ? `, ${c.scored} with other scores` : ""}; ${list.total} shown by the filter, page ${list.page} of ${pages}.</p>
<div class="scroll"><table id="samples" class="samples"><thead><tr><th class="num">Doc</th><th>Prompt (end)</th><th>Target</th><th>Prediction</th><th>Outcome</th></tr></thead><tbody>
${list.samples.map(
  (s) =>
    html`<tr class="${s.outcome}"><td class="num"><a href="${sampleHref(run.id, s)}">${s.docId}</a></td><td class="small prompt">${s.prompt.length > 160 ? `…${s.prompt.slice(-159)}` : s.prompt}</td><td class="small">${short(s.target, 80)}</td><td class="small">${s.error ? html`<span class="err">${short(s.error, 120)}</span>` : short(s.prediction, 120)}</td><td>${outcomeBadge(s.outcome, s.score)}${s.metric ? html` <span class="small muted">${s.metric}</span>` : ""}</td></tr>`,
)}</tbody></table></div><div class="pager">${list.page > 1 ? pageLink(list.page - 1, "← previous") : ""}${list.page < pages ? pageLink(list.page + 1, "next →") : ""}</div>`;
}

export function runPage(
  run: RunView,
  rows: ResultRow[],
  list: DigestPage | undefined,
  query: { outcome?: string; q?: string } = {},
): Safe {
  const cfg = (run.config ?? {}) as Record<string, unknown>;
  return html`<h1>Run ${run.id}</h1>
<p><a href="/runs">← runs</a> · model <a href="${modelHref(run.model)}">${run.model}</a> · ${run.status} · created ${run.created_at} · <a href="${href("/runs/compare", { a: run.id })}">compare with another run</a> · <a href="/api/runs/${encodeURIComponent(run.id)}">JSON</a></p>
<h2>Results</h2>${resultsTable(rows, (t) => runHref(run.id, { task: t }))}
<h2>Tasks</h2><div class="scroll"><table id="tasks"><thead><tr><th>Task</th><th class="num">Samples</th><th class="num">Errors</th></tr></thead><tbody>
${run.samples.map(
  (t) =>
    html`<tr${t.task === list?.task ? html` class="tied"` : ""}><td><a href="${runHref(run.id, { task: t.task })}">${t.task}</a></td><td class="num">${t.n}</td><td class="num">${t.errors ? html`<a href="${runHref(run.id, { task: t.task, outcome: "error" })}">${t.errors}</a>` : "0"}</td></tr>`,
)}</tbody></table></div>
${list ? samplesSection(run, list, query) : html`<h2>Settings</h2>${settings(cfg)}`}`;
}

function choicesTable(choices: ChoiceView[]): Safe {
  return html`<div class="scroll"><table id="choices"><thead><tr><th class="num">#</th><th>Choice</th><th class="num">Log-likelihood</th><th class="num">Per character (acc_norm)</th><th>Greedy</th><th>Picked (acc)</th><th>Picked (acc_norm)</th><th>Gold</th></tr></thead><tbody>${choices.map(
    (c) =>
      html`<tr class="${c.gold ? "gold" : c.picked ? "fail" : ""}"><td class="num">${c.index}</td><td>${c.text}</td><td class="num">${c.logprob.toFixed(3)}</td><td class="num">${c.normalized.toFixed(4)}</td><td>${c.greedy ? "yes" : ""}</td><td>${c.picked ? "✓" : ""}</td><td>${c.pickedNorm ? "✓" : ""}</td><td>${c.gold ? "✓" : ""}</td></tr>`,
  )}</tbody></table></div>`;
}

/** One sample: the prompt exactly as sent, target, prediction and outcome, the choices or the raw output. */
export function samplePage(
  run: RunView,
  d: SampleDigest,
  raw: { data: unknown; scores: Record<string, number> },
  rationale: string | undefined,
): Safe {
  const data = (raw.data ?? {}) as Record<string, unknown>;
  return html`<h1>Sample ${d.task} #${d.docId}</h1>
<p><a href="${runHref(run.id, { task: d.task })}">← run ${run.id}</a> · model <a href="${modelHref(run.model)}">${run.model}</a> · <a href="${sampleHref(run.id, { task: d.task, docId: Math.max(0, d.docId - 1) })}">previous</a> · <a href="${sampleHref(run.id, { task: d.task, docId: d.docId + 1 })}">next</a></p>
<p id="outcome" class="outcome ${d.outcome}">${outcomeBadge(d.outcome, d.score)}${d.metric ? ` on ${d.metric}` : ""}${d.score !== undefined && d.outcome === "scored" ? ` = ${d.score}` : ""}</p>
<h2>Prompt as sent</h2><pre id="prompt">${d.prompt}</pre>
<div class="cols2"><div><h2>Target</h2><pre id="target">${d.target}</pre></div><div><h2>Prediction</h2><pre id="prediction">${d.prediction}</pre></div></div>
${d.choices ? html`<h2>Choices</h2>${choicesTable(d.choices)}<p class="small muted">acc picks the highest log-likelihood; acc_norm the highest log-likelihood per character of the choice (lm-evaluation-harness's normalisation).</p>` : html`<h2>Raw output</h2><pre id="raw">${str(single(data.resps))}</pre><h2>Extracted answer</h2><pre id="extracted">${str(unwrap(data.filtered_resps) ?? data.pred)}</pre>`}
<h2>Scores</h2><div class="scroll"><table id="score"><thead><tr><th>Metric</th><th>Filter</th><th class="num">Score</th></tr></thead><tbody>${Object.entries(
    raw.scores,
  )
    .filter(([k]) => !k.startsWith("_"))
    .map(([k, v]) => {
      const [m, f] = k.split(",");
      return html`<tr><td>${m}</td><td>${f ?? "none"}</td><td class="num">${v}</td></tr>`;
    })}</tbody></table></div>
${d.error ? html`<h2>Error</h2><pre id="error">${d.error}</pre>` : ""}
${rationale ? html`<h2>Judge rationale</h2><pre id="rationale">${rationale}</pre>` : ""}
<details><summary>Full sample record</summary><pre>${json(data)}</pre></details>`;
}

/** Two runs: per task and metric the paired difference (the `modelmap runs compare` statistics), then one task's samples side by side. */
export function compareRunsPage(
  runs: RunSummary[],
  query: { a?: string | undefined; b?: string | undefined; task?: string | undefined; all?: string | undefined },
  cmp: { runA: string; runB: string; tasks: TaskComparison[] } | undefined,
  diff: SampleDiff | undefined,
  error?: string,
): Safe {
  const select = (name: "a" | "b") =>
    html`<select name="${name}">${runs.map((r) => html`<option value="${r.id}"${query[name] === r.id || (cmp && (name === "a" ? cmp.runA : cmp.runB) === r.id) ? html` selected` : ""}>${r.id} · ${r.model}</option>`)}</select>`;
  const form = html`<form class="filters" method="get" action="/runs/compare"><label>Run A${select("a")}</label><label>Run B${select("b")}</label>${query.task ? html`<input type="hidden" name="task" value="${query.task}">` : ""}<button type="submit">Compare</button></form>`;
  if (!cmp)
    return html`<h1>Compare two runs</h1>${form}${error ? html`<p class="note warn" id="error">${error}</p>` : html`<p class="muted">Pick two runs of the same tasks (e.g. two models, or one model under two prompts).</p>`}`;
  const link = (task: string) => href("/runs/compare", { a: cmp.runA, b: cmp.runB, task });
  return html`<h1>Compare two runs</h1>${form}
<p>A = <a href="/runs/${encodeURIComponent(cmp.runA)}">${cmp.runA}</a> · B = <a href="/runs/${encodeURIComponent(cmp.runB)}">${cmp.runB}</a></p>
${cmp.tasks.length === 0 ? html`<p class="muted" id="no-shared">The two runs share no scored documents.</p>` : ""}
<div class="scroll"><table id="run-comparison"><thead><tr><th>Task</th><th>Metric</th><th class="num">Docs</th><th class="num">A</th><th class="num">B</th><th class="num">B − A</th><th class="num">95% CI (paired bootstrap)</th><th class="num">p</th><th class="num">McNemar p</th></tr></thead><tbody>${cmp.tasks.map(
    (t) =>
      html`<tr><td><a href="${link(t.task)}">${t.task}</a></td><td>${t.metric}</td><td class="num">${t.n}</td><td class="num">${t.a.toFixed(4)}</td><td class="num">${t.b.toFixed(4)}</td><td class="num">${t.diff >= 0 ? "+" : ""}${t.diff.toFixed(4)}</td><td class="num">${t.lower.toFixed(4)} – ${t.upper.toFixed(4)}</td><td class="num">${formatP(t.bootstrapP)}</td><td class="num">${t.mcnemar ? formatP(t.mcnemar.pValue) : ""}</td></tr>`,
  )}</tbody></table></div>
${
  diff
    ? html`<h2>${diff.task}, document by document</h2>
<p class="muted" id="diff-summary">${diff.shared} shared documents: ${diff.both} passed in both, ${diff.onlyA} only in A, ${diff.onlyB} only in B, ${diff.neither} in neither; ${diff.changed} differ in outcome or prediction${diff.rows.length < diff.changed && !query.all ? ` (first ${diff.rows.length} shown)` : ""}. ${query.all ? html`<a href="${link(diff.task)}">Only the differences</a>` : html`<a href="${href("/runs/compare", { a: cmp.runA, b: cmp.runB, task: diff.task, all: 1 })}">Show every document</a>`}</p>
<div class="scroll"><table id="sample-diff" class="samples"><thead><tr><th class="num">Doc</th><th>Prompt (end)</th><th>Target</th><th>A predicts</th><th>B predicts</th></tr></thead><tbody>${diff.rows.map(
        (r) =>
          html`<tr><td class="num">${r.docId}</td><td class="small prompt">${r.prompt.length > 120 ? `…${r.prompt.slice(-119)}` : r.prompt}</td><td class="small">${short(r.target, 60)}</td><td class="small ${r.a.outcome}"><a href="${sampleHref(cmp.runA, { task: diff.task, docId: r.docId })}">${short(r.a.prediction, 80) || "–"}</a> ${outcomeBadge(r.a.outcome, r.a.score)}</td><td class="small ${r.b.outcome}"><a href="${sampleHref(cmp.runB, { task: diff.task, docId: r.docId })}">${short(r.b.prediction, 80) || "–"}</a> ${outcomeBadge(r.b.outcome, r.b.score)}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="muted">Click a task for its documents side by side.</p>`
}`;
}
