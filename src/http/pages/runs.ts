import type { RunSamplesPage, RunSummary, RunView } from "../../runner/views.ts";
import type { EvalSampleRecord } from "../../store/evals.ts";
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

export function runPage(run: RunView, task: string | undefined, list: RunSamplesPage | undefined): Safe {
  const cfg = (run.config ?? {}) as Record<string, unknown>;
  const results = { ...run.results, ...run.groups };
  const tasks = run.samples;
  const samples: EvalSampleRecord[] = list?.samples ?? [];
  const page = list?.page ?? 1;
  const pages = list ? Math.max(1, Math.ceil(list.total / list.page_size)) : 1;
  const pageLink = (p: number, label: string) =>
    html`<a href="${href(`/runs/${encodeURIComponent(run.id)}`, { task, page: p })}">${label}</a>`;
  return html`<h1>Run ${run.id}</h1>
<dl class="facts"><dt>Model</dt><dd><a href="${modelHref(run.model)}">${run.model}</a></dd><dt>Status</dt><dd>${run.status}</dd>
<dt>Chat template</dt><dd>${cfg.chat_template === true ? "the model's own, applied" : cfg.chat_template === false ? "not applied (raw prompt)" : str(cfg.chat_template) || "not recorded"}</dd><dt>System prompt</dt><dd>${str(cfg.system_prompt) || "none"}</dd>
<dt>Few-shot</dt><dd>${str(cfg.num_fewshot) || "task default"}</dd><dt>Seed</dt><dd>${str(cfg.seed)}</dd><dt>Created</dt><dd>${run.created_at}</dd></dl>
<h2>Tasks</h2><div class="scroll"><table id="tasks"><thead><tr><th>Task</th><th class="num">Samples</th><th class="num">Errors</th><th>Results</th></tr></thead><tbody>
${tasks.map((t) => {
  const r = results[t.task];
  return html`<tr><td><a href="${href(`/runs/${encodeURIComponent(run.id)}`, { task: t.task })}">${t.task}</a></td><td class="num">${t.n}</td><td class="num">${t.errors}</td><td class="small">${r === undefined ? "" : summarize(r)}</td></tr>`;
})}</tbody></table></div>
${
  task === undefined
    ? html`<h2>Configuration</h2><pre>${json(cfg)}</pre>`
    : html`<h2>Samples of ${task}</h2><div class="scroll"><table id="samples"><thead><tr><th class="num">Doc</th><th>Prompt (start)</th><th>Output / prediction</th><th>Scores</th><th>Error</th></tr></thead><tbody>
${samples.map((s) => {
  const d = (s.data ?? {}) as Record<string, unknown>;
  const prompt = str(d.prompt);
  return html`<tr><td class="num"><a href="/runs/${encodeURIComponent(run.id)}/samples/${encodeURIComponent(s.task)}/${s.docId}">${s.docId}</a></td><td class="small">${prompt.slice(0, 120)}${prompt.length > 120 ? "…" : ""}</td><td class="small">${str(d.filtered_resps ?? d.pred ?? d.resps).slice(0, 120)}</td><td class="small">${Object.entries(
    s.scores,
  )
    .map(([k, v]) => `${k}=${fmt1(v)}`)
    .join(" ")}</td><td class="small">${s.error ?? ""}</td></tr>`;
})}</tbody></table></div><div class="pager">${page > 1 ? pageLink(page - 1, "← previous") : ""}${page < pages ? pageLink(page + 1, "next →") : ""}</div>`
}`;
}

function summarize(r: unknown): string {
  if (!r || typeof r !== "object") return str(r);
  return Object.entries(r as Record<string, unknown>)
    .filter(([k, v]) => typeof v === "number" && !k.includes("_stderr"))
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : (v as number).toFixed(4)}`)
    .join(" · ");
}

/** One sample: the prompt exactly as sent, the raw output, the extracted answer, the target and the scores. */
export function samplePage(run: RunView, s: EvalSampleRecord, rationale: string | undefined): Safe {
  const d = (s.data ?? {}) as Record<string, unknown>;
  return html`<h1>Sample ${s.task} #${s.docId}</h1>
<p><a href="${href(`/runs/${encodeURIComponent(run.id)}`, { task: s.task })}">← run ${run.id}</a> · model <a href="${modelHref(run.model)}">${run.model}</a></p>
<h2>Prompt as sent</h2><pre id="prompt">${str(d.prompt)}</pre>
<h2>Raw output</h2><pre id="raw">${str(d.resps)}</pre>
<h2>Extracted answer</h2><pre id="extracted">${str(d.filtered_resps ?? d.pred)}</pre>
<h2>Target</h2><pre id="target">${str(d.target)}</pre>
<h2>Score</h2><pre id="score">${json(s.scores)}</pre>
${s.error ? html`<h2>Error</h2><pre id="error">${s.error}</pre>` : ""}
${rationale ? html`<h2>Judge rationale</h2><pre id="rationale">${rationale}</pre>` : ""}
<details><summary>Full sample record</summary><pre>${json(d)}</pre></details>`;
}
