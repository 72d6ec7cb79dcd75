import { type RunSamplesPage, type RunSummary, type RunView, sampleView } from "../../runner/views.ts";
import { type EvalSample, promptOf, type RunLogV1, type TaskResultV1 } from "../../store/run-log.ts";
import { fmt1, href, html, modelHref, type Safe } from "../html.ts";

function json(v: unknown): string {
  return JSON.stringify(v, null, 2) ?? "null";
}

function str(v: unknown): string {
  if (v === undefined || v === null) return "";
  return typeof v === "string" ? v : json(v);
}

export function runsPage(runs: RunSummary[]): Safe {
  if (runs.length === 0) {
    return html`<h1>Runs</h1><p class="muted" id="empty">No benchmark runs recorded yet. Run <code>modelmap eval</code> to create one.</p>`;
  }
  return html`<h1>Runs</h1><div class="scroll"><table id="runs"><thead><tr><th>Run</th><th>Model</th><th>Tasks</th><th>Status</th><th>Created</th></tr></thead><tbody>
${runs.map(
  (r) =>
    html`<tr><td><a href="/runs/${encodeURIComponent(r.id)}">${r.id}</a></td><td><a href="${modelHref(r.model)}">${r.model}</a></td><td>${r.tasks.join(", ")}</td><td>${r.status}</td><td>${r.created_at}</td></tr>`,
)}</tbody></table></div>`;
}

/** What one run's page shows: the run as the API serves it, and its typed results. */
export interface RunPageData {
  view: RunView;
  log: RunLogV1 | null;
}

export function runPage(
  run: RunPageData,
  task: string | undefined,
  list: RunSamplesPage<EvalSample> | undefined,
): Safe {
  const { view, log } = run;
  const cfg = view.config;
  const tasks = view.samples;
  const samples: EvalSample[] = list?.samples ?? [];
  const page = list?.page ?? 1;
  const pages = list ? Math.max(1, Math.ceil(list.total / list.page_size)) : 1;
  const pageLink = (p: number, label: string) =>
    html`<a href="${href(`/runs/${encodeURIComponent(view.id)}`, { task, page: p })}">${label}</a>`;
  return html`<h1>Run ${view.id}</h1>
<dl class="facts"><dt>Model</dt><dd><a href="${modelHref(view.model)}">${view.model}</a></dd><dt>Status</dt><dd>${view.status}</dd>
${view.failure ? html`<dt>Failure</dt><dd id="failure">${view.failure.reason}: ${view.failure.message}</dd>` : ""}
<dt>Chat template</dt><dd>${cfg.chat_template ? "the model's own, applied" : "not applied (raw prompt)"}</dd><dt>System prompt</dt><dd>${cfg.system_prompt ?? "none"}</dd>
<dt>Few-shot</dt><dd>${cfg.num_fewshot === null ? "task default" : String(cfg.num_fewshot)}</dd><dt>Seed</dt><dd>${String(cfg.seed)}</dd><dt>Created</dt><dd>${view.created_at}</dd></dl>
<h2>Tasks</h2><div class="scroll"><table id="tasks"><thead><tr><th>Task</th><th class="num">Samples</th><th class="num">Errors</th><th>Results</th></tr></thead><tbody>
${tasks.map((t) => {
  const r = log?.results[t.task];
  return html`<tr><td><a href="${href(`/runs/${encodeURIComponent(view.id)}`, { task: t.task })}">${t.task}</a></td><td class="num">${t.n}</td><td class="num">${t.errors}</td><td class="small">${r === undefined ? "" : summarize(r)}</td></tr>`;
})}</tbody></table></div>
${
  task === undefined
    ? html`<h2>Configuration</h2><pre>${json(cfg)}</pre>`
    : html`<h2>Samples of ${task}</h2><div class="scroll"><table id="samples"><thead><tr><th class="num">Doc</th><th>Prompt (start)</th><th>Output / prediction</th><th>Scores</th><th>Error</th></tr></thead><tbody>
${samples.map((s) => {
  const prompt = promptOf(s);
  return html`<tr><td class="num"><a href="/runs/${encodeURIComponent(view.id)}/samples/${encodeURIComponent(s.task)}/${s.docId}">${s.docId}</a></td><td class="small">${prompt.slice(0, 120)}${prompt.length > 120 ? "…" : ""}</td><td class="small">${str(extracted(s) ?? s.pred ?? s.resps).slice(0, 120)}</td><td class="small">${s.scores
    .map((x) => `${x.metric} (${x.filter})=${fmt1(x.value)}`)
    .join(" ")}</td><td class="small">${s.error ?? ""}</td></tr>`;
})}</tbody></table></div><div class="pager">${page > 1 ? pageLink(page - 1, "← previous") : ""}${page < pages ? pageLink(page + 1, "next →") : ""}</div>`
}`;
}

/** A task's metrics, one `metric (filter) value` each, then its size and normalized score. */
function summarize(r: TaskResultV1): string {
  const parts = r.metrics.map(
    (m) => `${m.metric}${m.filter === "none" ? "" : ` (${m.filter})`}=${m.value === null ? "-" : m.value.toFixed(4)}`,
  );
  parts.push(`n=${r.n}`);
  if (r.nErrors > 0) parts.push(`errors=${r.nErrors}`);
  if (r.normalizedScore !== null) parts.push(`normalized=${r.normalizedScore.toFixed(4)}`);
  return parts.join(" · ");
}

/** The filtered answer per filter; a single request's answer without its list. */
function extracted(s: EvalSample): Record<string, unknown> | undefined {
  const entries = Object.entries(s.filteredResps);
  if (entries.length === 0 || s.arguments[0]?.kind !== "generate") return undefined;
  return Object.fromEntries(entries.map(([f, v]) => [f, v.length === 1 ? v[0] : v]));
}

/** One sample: the prompt exactly as sent, the raw output, the extracted answer, the target and the scores. */
export function samplePage(run: RunView, s: EvalSample): Safe {
  const view = sampleView(s);
  return html`<h1>Sample ${s.task} #${s.docId}</h1>
<p><a href="${href(`/runs/${encodeURIComponent(run.id)}`, { task: s.task })}">← run ${run.id}</a> · model <a href="${modelHref(run.model)}">${run.model}</a></p>
<h2>Prompt as sent</h2><pre id="prompt">${promptOf(s)}</pre>
<h2>Raw output</h2><pre id="raw">${str(s.arguments[0]?.kind === "generate" ? s.resps[0] : s.resps)}</pre>
<h2>Extracted answer</h2><pre id="extracted">${str(extracted(s) ?? s.pred ?? s.filteredResps)}</pre>
<h2>Target</h2><pre id="target">${str(s.target)}${s.gold !== undefined && str(s.gold) !== str(s.target) ? ` (${str(s.gold)})` : ""}</pre>
<h2>Score</h2><pre id="score">${json(view.scores)}</pre>
${s.error ? html`<h2>Error</h2><pre id="error">${s.errorReason ? `${s.errorReason}: ` : ""}${s.error}</pre>` : ""}
${s.rationale ? html`<h2>Judge rationale</h2><pre id="rationale">${s.rationale}</pre>` : ""}
<details><summary>Full sample record</summary><pre>${json(view.data)}</pre></details>`;
}
