import type { JudgmentDetail, JudgmentsPage } from "../../judge/browse.ts";
import type { AnswerRecord, JudgmentRecord } from "../../store/judging.ts";
import { href, html, modelHref, type Safe } from "../html.ts";

/** Judged prompt sets: the judge's side of the run browser. */
export function judgedSetsSection(sets: Array<{ set: string; judgments: number; restricted: boolean }>): Safe {
  if (sets.length === 0)
    return html`<h2>Judged prompt sets</h2><p class="muted">No LLM-judge verdicts recorded yet.</p>`;
  return html`<h2>Judged prompt sets</h2><div class="scroll"><table id="judged-sets"><thead><tr><th>Prompt set</th><th class="num">Judgments</th></tr></thead><tbody>${sets.map(
    (s) =>
      html`<tr><td>${s.restricted ? html`${s.set} <span class="badge">admin only</span>` : html`<a href="/judgments/${encodeURIComponent(s.set)}">${s.set}</a>`}</td><td class="num">${s.judgments}</td></tr>`,
  )}</tbody></table></div>`;
}

function outcome(j: JudgmentRecord): string {
  if (j.kind === "single") return j.score === null ? "unparsed" : `${j.score}/10`;
  return j.verdict ?? "unparsed";
}

export function judgmentsPage(list: JudgmentsPage): Safe {
  const { set: setName, judgments: rows, total, page } = list;
  const pages = Math.max(1, Math.ceil(total / list.page_size));
  const link = (p: number, label: string) =>
    html`<a href="${href(`/judgments/${encodeURIComponent(setName)}`, { page: p })}">${label}</a>`;
  return html`<h1>Judgments: ${setName}</h1><p class="muted">${total} judgments · page ${page} of ${pages}</p>
<div class="scroll"><table id="judgments"><thead><tr><th>Prompt</th><th>Category</th><th>Kind</th><th>Shown first</th><th>Shown second</th><th>Outcome</th><th>Judge</th></tr></thead><tbody>
${rows.map(
  (j) =>
    html`<tr><td><a href="/judgments/${encodeURIComponent(setName)}/${encodeURIComponent(j.key)}">${j.promptId}</a></td><td>${j.category}</td><td>${j.kind}</td><td><a href="${modelHref(j.modelFirst)}">${j.modelFirst}</a></td><td>${j.modelSecond ?? ""}</td><td>${outcome(j)}${j.parseError ? html` <span class="badge warn">parse error</span>` : ""}</td><td class="small">${j.judge}</td></tr>`,
)}</tbody></table></div><div class="pager">${page > 1 ? link(page - 1, "← previous") : ""}${page < pages ? link(page + 1, "next →") : ""}</div>`;
}

function answerBlock(label: string, a: AnswerRecord | undefined, model: string | null): Safe {
  if (!model) return html``;
  return html`<h2>${label}: ${model}</h2>${
    a
      ? a.outputs.map((o, i) => html`<pre class="answer">${a.outputs.length > 1 ? `[turn ${i + 1}]\n` : ""}${o}</pre>`)
      : html`<p class="muted">answer not stored</p>`
  }`;
}

/** One judgment: the prompt, the answers as the judge saw them (in the shown order), the verdict and the rationale. */
export function judgmentPage(d: JudgmentDetail): Safe {
  const { judgment: j, prompt, first, second } = d;
  return html`<h1>Judgment of ${j.setName} / ${j.promptId}</h1>
<p><a href="/judgments/${encodeURIComponent(j.setName)}">← ${j.setName}</a> · ${j.kind} · category ${j.category} · judge ${j.judge}${j.referenceGuided ? " · reference-guided" : ""}</p>
<h2>Prompt</h2>${prompt ? prompt.turns.map((t, i) => html`<pre id="prompt-${i}">${prompt.turns.length > 1 ? `[turn ${i + 1}]\n` : ""}${t}</pre>`) : html`<p class="muted">prompt not stored</p>`}
${answerBlock(j.kind === "single" ? "Answer" : "Shown first", first, j.modelFirst)}
${answerBlock("Shown second", second, j.modelSecond)}
<h2>Outcome</h2><p id="outcome">${outcome(j)}</p>
${j.parseError ? html`<p class="badge warn" id="parse-error">${j.parseError}</p>` : ""}
<h2>Judge rationale</h2><pre id="rationale">${j.raw}</pre>`;
}
