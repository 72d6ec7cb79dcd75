import { type HtmlValue, html, raw, type Safe } from "../html.ts";

/**
 * HTML shells of the labeling pages. They carry no comparison data: the labeler page fetches its pair from
 * the JSON API, so the HTML is the same for every pair and cannot reveal a model. Scripts are external
 * files (the CSP forbids inline script). A labeler sees one task, not the site: these pages have their own
 * small shell rather than the site layout.
 */
const STYLE = `
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1rem;color:#222}
h1{font-size:1.3rem} .turn{background:#f3f4f6;padding:.6rem;border-radius:6px;margin:.4rem 0;white-space:pre-wrap}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1rem} .ans{border:1px solid #ccc;border-radius:6px;padding:.6rem;overflow-wrap:anywhere;min-height:4rem}
.ans pre{white-space:pre-wrap;background:#f6f8fa;padding:.4rem} .bar{display:flex;gap:.5rem;margin:1rem 0;flex-wrap:wrap}
button{font-size:1rem;padding:.5rem 1rem} kbd{border:1px solid #999;border-radius:3px;padding:0 .3rem;font-size:.8rem}
textarea{width:100%;min-height:3rem} #status{min-height:1.5rem;color:#555} table{border-collapse:collapse} td,th{border:1px solid #ddd;padding:.3rem .6rem}
label{display:block;margin:.4rem 0} .err{color:#b00}`;

function shell(title: string, csrf: string, body: HtmlValue, script?: string): string {
  const doc: Safe = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="csrf-token" content="${csrf}">
<title>${title}</title><style>${raw(STYLE)}</style></head>
<body>${body}${script ? html`<script src="${script}" defer></script>` : ""}</body></html>`;
  return doc.value;
}

const campaignPath = (id: string) => `/label/${encodeURIComponent(id)}`;

export function signupPage(csrf: string, next: string): string {
  return shell(
    "modelmap labeling: sign up",
    csrf,
    html`<h1>Help compare AI answers</h1>
<p>You will see a question and two anonymous answers. Pick the better one. All fields are optional.</p>
<form id="signup" data-next="${next}">
<label>Language(s) you read well <input name="language" maxlength="64" autocomplete="off"></label>
<label>Expertise (e.g. software, medicine, law) <input name="expertise" maxlength="64" autocomplete="off"></label>
<label>Region <input name="region" maxlength="64" autocomplete="off"></label>
<button type="submit" id="start">Start</button></form><p id="status"></p>`,
    "/assets/label-signup.js",
  );
}

export function campaignListPage(csrf: string, campaigns: Array<{ id: string; name: string }>): string {
  const rows = campaigns.map((c) => html`<li><a href="${campaignPath(c.id)}">${c.name}</a></li>`);
  return shell(
    "modelmap labeling",
    csrf,
    html`<h1>Labeling campaigns</h1><ul>${rows.length ? rows : html`<li>none yet</li>`}</ul>`,
  );
}

export function labelerPage(csrf: string, campaignId: string, campaignName: string): string {
  return shell(
    `modelmap labeling: ${campaignName}`,
    csrf,
    html`<h1>${campaignName} <small id="progress"></small></h1>
<main id="task" data-campaign="${campaignId}">
<section id="prompt"></section>
<div class="cols"><div><h2>Answer A</h2><div class="ans" id="left"></div></div><div><h2>Answer B</h2><div class="ans" id="right"></div></div></div>
<label>Reason (optional) <textarea id="reason" maxlength="2000"></textarea></label>
<div class="bar">
<button id="vote-left" data-choice="left"><kbd>A</kbd> A is better</button>
<button id="vote-right" data-choice="right"><kbd>B</kbd> B is better</button>
<button id="vote-tie" data-choice="tie"><kbd>T</kbd> Tie</button>
<button id="vote-both-bad" data-choice="both_bad"><kbd>X</kbd> Both are bad</button>
</div></main>
<p id="status" aria-live="polite"></p><p id="reveal"></p>
<p><a href="${campaignPath(campaignId)}/leaderboard">Leaderboard</a></p>`,
    "/assets/label.js",
  );
}

export function leaderboardPage(
  campaignName: string,
  rows: Array<{ model: string; rating: number; lower: number; upper: number; battles: number; rank: number }>,
  votes: number,
): string {
  const body = rows.map(
    (r) =>
      html`<tr><td>${r.rank}</td><td class="model">${r.model}</td><td class="rating">${r.rating.toFixed(0)}</td><td>${r.lower.toFixed(0)} to ${r.upper.toFixed(0)}</td><td class="battles">${r.battles}</td></tr>`,
  );
  return shell(
    `leaderboard: ${campaignName}`,
    "",
    html`<h1>Leaderboard: ${campaignName}</h1><p id="votes">${votes} votes</p>
<table id="board"><thead><tr><th>rank</th><th>model</th><th>rating</th><th>95% CI</th><th>battles</th></tr></thead><tbody>${body}</tbody></table>`,
  );
}

export function adminPage(): string {
  return shell(
    "modelmap labeling admin",
    "",
    html`<h1>Labeling admin</h1>
<form id="login"><label>Admin token <input type="password" name="token" autocomplete="off"></label><button>Open</button></form>
<section id="admin" hidden>
<h2>Campaigns</h2><table id="campaigns"><thead><tr><th>id</th><th>set</th><th>models</th><th>items</th><th>gold</th><th>labelers</th><th>votes</th><th></th></tr></thead><tbody></tbody></table>
<h2>New campaign</h2>
<form id="create"><label>Name <input name="name" required></label><label>Prompt set <input name="set" required></label>
<label>Models (comma-separated) <input name="models" required></label><label>Items per labeler <input name="perLabeler" type="number" value="4" min="1"></label>
<label>Reveal <select name="reveal"><option value="after">after the vote</option><option value="never">never</option></select></label>
<label>Gold rate <input name="goldRate" type="number" step="0.01" value="0.1" min="0" max="1"></label>
<button>Create</button></form><pre id="quality"></pre></section><p id="status"></p>`,
    "/assets/label-admin.js",
  );
}
