/**
 * Leaderboard submissions on the web: the form (/submit) with the fields `modelmap submit` takes, and the queue
 * page (/queue) with pending, running, finished and failed submissions; a finished one links to its run in the
 * run viewer (per-sample details one click further). JSON twins: POST /api/submissions, GET /api/queue. Open
 * only when the server runs with a job queue (`serve --submissions`, PostgreSQL).
 */
import { Hono } from "hono";
import { ModelmapError } from "../../core/errors.ts";
import type { JobRecord } from "../../queue/queue.ts";
import { catalogue, type SubmissionPolicy, submit } from "../../queue/submit.ts";
import { type AppEnv, type RouteModule, renderPage } from "../app.ts";
import { html, type Safe } from "../html.ts";

type Bucket = "pending" | "running" | "finished" | "failed";

function bucketOf(j: JobRecord): Bucket {
  if (j.state === "active") return "running";
  if (j.state === "completed") return "finished";
  if (j.state === "failed" || j.state === "cancelled") return "failed";
  return "pending";
}

interface Row {
  id: string;
  status: Bucket;
  state: string;
  model: string;
  revision: string;
  precision: string;
  suite: string;
  submitter: string;
  attempts: number;
  runId: string | null;
  error: string | null;
  createdOn: string;
}

function rowOf(j: JobRecord): Row | undefined {
  const d = j.data as Record<string, unknown> | null;
  if (d?.kind !== "eval") return undefined;
  const out = j.output as { runId?: unknown; message?: unknown; value?: { message?: unknown } } | null;
  const error =
    typeof out?.message === "string" ? out.message : typeof out?.value?.message === "string" ? out.value.message : null;
  return {
    id: j.id,
    status: bucketOf(j),
    state: j.state,
    model: String(d.model),
    revision: String(d.revision),
    precision: String(d.precision),
    suite: String(d.suite),
    submitter: String(d.submitter ?? ""),
    attempts: j.retryCount + (j.startedOn ? 1 : 0),
    runId: typeof out?.runId === "string" ? out.runId : null,
    error: j.state === "completed" ? null : error,
    createdOn: j.createdOn.toISOString(),
  };
}

function formPage(policy: SubmissionPolicy, values: Record<string, string>, error?: ModelmapError): Safe {
  const models = catalogue(policy.modelsDir);
  const presets = ["none", "default", ...Object.keys(policy.presets ?? {})];
  const v = (k: string) => values[k] ?? "";
  return html`<h1>Submit a model</h1>
${error ? html`<p id="error" role="alert">Refused: ${error.message}${error.hint ? html` (${error.hint})` : ""}</p>` : ""}
<form method="post" action="/submit">
<p><label>Model <select name="model">${models.map((m) => html`<option${v("model") === m ? html` selected` : ""}>${m}</option>`)}</select></label></p>
${policy.hub ? html`<p><label>or a Hugging Face model <input name="hub_model" value="${v("hub_model")}" placeholder="owner/name"></label> <span class="muted">GGUF weights; the revision is pinned to its commit</span></p>` : ""}
<p><label>Revision <input name="revision" value="${v("revision") || "main"}"></label> <span class="muted">catalogue: the weights' sha256 or a prefix; hub: a branch, tag or commit; main pins the current one</span></p>
<p><label>Precision <input name="precision" value="${v("precision")}" required></label> <span class="muted">F32, F16, BF16, Q8_0, Q4_K_M, ...</span></p>
<p><label><input type="checkbox" name="chat_template" value="on"${v("chat_template") === "on" ? html` checked` : ""}> Use the chat template</label></p>
<p><label>System prompt <select name="system_prompt">${presets.map((p) => html`<option${v("system_prompt") === p ? html` selected` : ""}>${p}</option>`)}</select></label></p>
<p><label>Suite <input name="suite" value="${v("suite")}" required></label></p>
<p><label>Submitter <input name="submitter" value="${v("submitter")}" required></label></p>
<p><button type="submit">Submit</button></p>
</form>
<p><a href="/queue">The queue</a></p>`;
}

function queuePage(rows: Row[]): Safe {
  const sections: Array<[Bucket, string]> = [
    ["pending", "Pending"],
    ["running", "Running"],
    ["finished", "Finished"],
    ["failed", "Failed"],
  ];
  return html`<h1>Submissions</h1><p><a href="/submit">Submit a model</a></p>
${sections.map(([b, title]) => {
  const rs = rows.filter((r) => r.status === b);
  return html`<section id="${b}"><h2>${title} (${rs.length})</h2>${
    rs.length === 0
      ? html`<p class="muted">none</p>`
      : html`<table><thead><tr><th>model</th><th>revision</th><th>precision</th><th>suite</th><th>submitter</th><th>attempts</th><th>submitted</th><th></th></tr></thead><tbody>${rs.map(
          (r) =>
            html`<tr data-job="${r.id}"><td>${r.model}</td><td><code>${r.revision.slice(0, 12)}</code></td><td>${r.precision}</td><td>${r.suite}</td><td>${r.submitter}</td><td>${r.attempts}</td><td>${r.createdOn}</td><td>${
              r.runId
                ? html`<a href="/runs/${r.runId}">results and samples</a>`
                : r.error
                  ? html`<span class="muted">${r.error}</span>`
                  : ""
            }</td></tr>`,
        )}</tbody></table>`
  }</section>`;
})}`;
}

function fieldsOf(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(body)) if (typeof val === "string") out[k] = val;
  return out;
}

export const submissionRoutes: RouteModule = {
  name: "submissions",
  nav: [{ path: "/queue", label: "Queue", order: 65 }],
  routes(deps) {
    const app = new Hono<AppEnv>();
    const sub = deps.submissions;
    const closed = () =>
      new ModelmapError("not_found", "submissions are not open on this server", {
        hint: "the operator starts it with 'modelmap --db postgres://... serve --submissions'",
      });
    const rows = async () => {
      if (!sub) throw closed();
      return (await sub.queue.list({ limit: 500 })).flatMap((j) => rowOf(j) ?? []);
    };
    app.get("/queue", async (c) => renderPage(c, "Submissions", queuePage(await rows())));
    app.get("/api/queue", async (c) => c.json({ submissions: await rows() }));
    // A plain HTML form: under the site's `no-referrer` policy the browser would send `Origin: null`, which the
    // origin guard refuses; `same-origin` sends the real origin to this site and still nothing elsewhere.
    const formPolicy = (c: { header(k: string, v: string): void }) => c.header("Referrer-Policy", "same-origin");
    app.get("/submit", (c) => {
      if (!sub) throw closed();
      formPolicy(c);
      return renderPage(c, "Submit a model", formPage(sub.policy, {}));
    });
    app.post("/submit", async (c) => {
      if (!sub) throw closed();
      const form = fieldsOf(await c.req.parseBody());
      try {
        await submit(
          sub.queue,
          {
            // A hub repository typed in wins over the catalogue's list.
            model: form.hub_model?.trim() || form.model || "",
            revision: form.revision || "main",
            precision: form.precision ?? "",
            chatTemplate: form.chat_template === "on",
            systemPrompt: form.system_prompt || "none",
            suite: form.suite ?? "",
            submitter: form.submitter ?? "",
          },
          sub.policy,
        );
      } catch (e) {
        if (!(e instanceof ModelmapError) || (e.code !== "refused" && e.code !== "input")) throw e;
        c.status(e.code === "refused" ? 422 : 400);
        formPolicy(c);
        return renderPage(c, "Submit a model", formPage(sub.policy, form, e));
      }
      return c.redirect("/queue", 303);
    });
    app.post("/api/submissions", async (c) => {
      if (!sub) throw closed();
      const accepted = await submit(sub.queue, await c.req.json(), sub.policy);
      return c.json({ jobId: accepted.jobId, job: accepted.job, notes: accepted.notes }, 201);
    });
    return app;
  },
};
