/**
 * The browser scripts of the labeling pages, served as same-origin files (the CSP allows no inline
 * script). They insert only HTML the server rendered through the safe markdown renderer, and use
 * textContent for everything else (model names in the reveal included).
 */
export const LABEL_JS = `"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const task = $("task");
  const campaign = task.dataset.campaign;
  const base = "/api/label/" + encodeURIComponent(campaign);
  let current = null;
  let busy = false;
  async function call(path, init) {
    // Network failures are retried with the same request: the server treats a repeated vote as the same vote.
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await fetch(base + path, Object.assign({ credentials: "same-origin" }, init));
        const j = await r.json();
        return { ok: r.ok, body: j };
      } catch (e) {
        if (attempt >= 2) return { ok: false, body: { error: { message: "network error" } } };
        await new Promise((res) => setTimeout(res, 300 * (attempt + 1)));
      }
    }
  }
  // After a vote in a campaign that reveals models, the names stay with the pair they belong to: the page keeps
  // the voted pair, shows who wrote which answer, and waits for "Next pair". The next pair starts with no names.
  function clearReveal() {
    $("reveal").textContent = ""; $("reveal").hidden = true;
    $("who-left").textContent = ""; $("who-right").textContent = "";
    $("after-vote").hidden = true; $("choices").hidden = false;
  }
  // The vote's answer carries the next pair (the vote asks with next: true): one request per vote. While the
  // voted pair is revealed, the next one waits here, unseen, for "Next pair".
  let pending = null;
  async function load() {
    clearReveal();
    const r = await call("/next", {});
    if (!r.ok) { $("status").textContent = (r.body.error && r.body.error.message) || "error"; return; }
    show(r.body);
  }
  function show(body) {
    clearReveal();
    pending = null;
    if (body.done) {
      current = null;
      task.hidden = true;
      $("progress").textContent = "";
      $("status").textContent = "All done. Thank you!";
      document.body.dataset.state = "done";
      return;
    }
    current = body;
    $("prompt").innerHTML = current.turns.map((t) => '<div class="turn">' + t + "</div>").join("");
    $("left").innerHTML = current.left.join("<hr>");
    $("right").innerHTML = current.right.join("<hr>");
    $("progress").textContent = "(" + current.index + " of " + current.of + ")";
    $("reason").value = "";
    document.body.dataset.state = "ready";
    document.body.dataset.index = String(current.index);
  }
  async function vote(choice) {
    if (!current || busy) return;
    busy = true;
    document.body.dataset.state = "voting";
    const body = JSON.stringify({ assignmentId: current.assignmentId, choice: choice, reason: $("reason").value, next: true });
    const r = await call("/vote", { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": csrf }, body: body });
    busy = false;
    if (!r.ok) { $("status").textContent = (r.body.error && r.body.error.message) || "error"; document.body.dataset.state = "ready"; return; }
    $("status").textContent = "Vote recorded.";
    if (!r.body.reveal) { if (r.body.next) show(r.body.next); else await load(); return; }
    pending = r.body.next || null;
    $("who-left").textContent = "(" + r.body.reveal.left + ")";
    $("who-right").textContent = "(" + r.body.reveal.right + ")";
    $("reveal").textContent = "Answer A was " + r.body.reveal.left + "; answer B was " + r.body.reveal.right + ".";
    $("reveal").hidden = false;
    $("choices").hidden = true; $("after-vote").hidden = false;
    current = null;
    document.body.dataset.state = "revealed";
  }
  function next() {
    if (document.body.dataset.state !== "revealed") return;
    if (pending) show(pending); else load();
  }
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    if (t && (t.tagName === "TEXTAREA" || t.tagName === "INPUT") || e.ctrlKey || e.metaKey || e.altKey) return;
    if (document.body.dataset.state === "revealed") {
      if (e.key === "n" || e.key === "N" || e.key === "Enter") { e.preventDefault(); next(); }
      return;
    }
    const choice = { a: "left", b: "right", t: "tie", x: "both_bad" }[e.key.toLowerCase()];
    if (choice) { e.preventDefault(); vote(choice); }
  });
  for (const b of document.querySelectorAll("button[data-choice]")) b.addEventListener("click", () => vote(b.dataset.choice));
  $("next").addEventListener("click", next);
  load();
})();
`;

export const SIGNUP_JS = `"use strict";
(() => {
  const form = document.getElementById("signup");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    const r = await fetch("/api/label/signup", { method: "POST", credentials: "same-origin", headers: { "content-type": "application/json", "x-csrf-token": csrf }, body: JSON.stringify(data) });
    if (!r.ok) { const j = await r.json().catch(() => ({})); document.getElementById("status").textContent = (j.error && j.error.message) || "sign-up failed"; return; }
    const next = form.dataset.next;
    location.href = next && next.startsWith("/label/") ? next : "/label";
  });
})();
`;

export const ADMIN_JS = `"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem("mm-admin") || "";
  // Opened with the token in an Authorization header (a proxy adds it to every request): no token of our own.
  const authorized = $("admin").dataset.authorized === "1";
  async function api(path, init) {
    const headers = Object.assign({ "content-type": "application/json" }, token && !authorized ? { authorization: "Bearer " + token } : {}, (init && init.headers) || {});
    const r = await fetch("/api/admin/labeling" + path, Object.assign({}, init, { headers: headers }));
    const j = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error((j.error && j.error.message) || r.statusText);
    return j;
  }
  function cell(tr, text) { const td = document.createElement("td"); td.textContent = String(text); tr.appendChild(td); return td; }
  async function refresh() {
    const j = await api("/campaigns");
    $("login").hidden = true; $("admin").hidden = false;
    const tb = $("campaigns").querySelector("tbody");
    tb.textContent = "";
    for (const c of j.campaigns) {
      const tr = document.createElement("tr");
      cell(tr, c.id); cell(tr, c.setName); cell(tr, c.models.join(", ")); cell(tr, c.progress.items); cell(tr, c.progress.gold); cell(tr, c.progress.labelers); cell(tr, c.progress.voted);
      const td = cell(tr, "");
      const exp = document.createElement("button"); exp.textContent = "export"; td.appendChild(exp);
      exp.addEventListener("click", async () => {
        const data = await api("/campaigns/" + encodeURIComponent(c.id) + "/export");
        const a = document.createElement("a");
        a.href = URL.createObjectURL(new Blob([JSON.stringify(data.battles, null, 1)], { type: "application/json" }));
        a.download = c.id + "-battles.json"; a.click();
      });
      const q = document.createElement("button"); q.textContent = "quality"; td.appendChild(q);
      q.addEventListener("click", async () => { $("quality").textContent = JSON.stringify(await api("/campaigns/" + encodeURIComponent(c.id) + "/quality"), null, 2); });
      tb.appendChild(tr);
    }
  }
  $("login").addEventListener("submit", async (e) => {
    e.preventDefault();
    token = new FormData($("login")).get("token") || "";
    sessionStorage.setItem("mm-admin", token);
    try { await refresh(); $("status").textContent = ""; } catch (err) { $("status").textContent = err.message; }
  });
  $("create").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = Object.fromEntries(new FormData($("create")).entries());
    try {
      await api("/campaigns", { method: "POST", body: JSON.stringify({ name: f.name, set: f.set, models: String(f.models).split(",").map((s) => s.trim()).filter(Boolean), perLabeler: Number(f.perLabeler), reveal: f.reveal, goldRate: Number(f.goldRate) }) });
      await refresh();
    } catch (err) { $("status").textContent = err.message; }
  });
  if (authorized || token) refresh().catch((err) => { $("status").textContent = err.message; });
})();
`;
