import { html, raw, type Safe } from "../html.ts";

/**
 * The labeling pages, in the site's shell like every page. They carry no comparison data: the labeler page
 * fetches its pair from the JSON API, so the HTML is the same for every pair and cannot reveal a model. Scripts
 * are external files (the CSP forbids inline script). Each page returns its body and what it adds to <head>;
 * the route renders it with the site navigation.
 */
const STYLE = `
.turn{background:var(--soft);padding:.6rem;border-radius:6px;margin:.4rem 0;white-space:pre-wrap}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1rem}@media (max-width:640px){.cols{grid-template-columns:1fr}}
.ans{border:1px solid var(--line);border-radius:6px;padding:.6rem;overflow-wrap:anywhere;min-height:4rem}
.ans pre{white-space:pre-wrap;background:var(--soft);padding:.4rem}.who{font-weight:normal;color:var(--accent)}
.bar{display:flex;gap:.5rem;margin:1rem 0;flex-wrap:wrap}.bar button{font-size:1rem;padding:.5rem 1rem}
kbd{border:1px solid #999;border-radius:3px;padding:0 .3rem;font-size:.8rem;color:inherit}
textarea{width:100%;min-height:3rem;font:inherit}#status{min-height:1.5rem;color:var(--muted)}
form.stack label{display:block;margin:.5rem 0;color:var(--muted);font-size:.9rem}form.stack input,form.stack select{display:block;margin-top:.15rem;min-width:18rem}
.err{color:#b00}`;

export interface LabelPage {
  title: string;
  body: Safe;
  head: Safe;
  script?: string;
}

function labelPage(title: string, csrf: string, body: Safe, script?: string): LabelPage {
  const head = html`<meta name="csrf-token" content="${csrf}"><style>${raw(STYLE)}</style>`;
  return script ? { title, body, head, script } : { title, body, head };
}

const campaignPath = (id: string) => `/label/${encodeURIComponent(id)}`;

/** A campaign as the public list shows it: never its models (a labeler should not know whom they judge). */
export interface CampaignLine {
  id: string;
  name: string;
  reveal: "after" | "never";
  perLabeler: number;
}

function campaignList(campaigns: CampaignLine[], signedUp: boolean): Safe {
  if (campaigns.length === 0)
    return html`<p class="muted" id="no-campaigns">No labeling campaigns yet. An admin creates one on <a href="/admin/labeling">the admin page</a> or with <code>modelmap label create</code>.</p>`;
  return html`<div class="scroll"><table id="campaign-list"><thead><tr><th>Campaign</th><th class="num">Pairs per labeler</th><th>Model names</th><th></th></tr></thead><tbody>${campaigns.map(
    (c) =>
      html`<tr><td>${signedUp ? html`<a href="${campaignPath(c.id)}">${c.name}</a>` : c.name}</td><td class="num">${c.perLabeler}</td><td>${c.reveal === "after" ? "shown after each vote" : "never shown (blind)"}</td><td>${c.reveal === "after" ? html`<a href="${campaignPath(c.id)}/leaderboard">leaderboard</a>` : ""}</td></tr>`,
  )}</tbody></table></div>`;
}

export function signupPage(csrf: string, next: string, campaigns: CampaignLine[]): LabelPage {
  return labelPage(
    "Labeling: sign up",
    csrf,
    html`<h1>Help compare AI answers</h1>
<p>You will see a question and two anonymous answers. Pick the better one. All fields are optional; they help weigh votes by expertise.</p>
<form id="signup" class="stack" data-next="${next}">
<label>Language(s) you read well <input name="language" maxlength="64" autocomplete="off"></label>
<label>Expertise (e.g. software, medicine, law) <input name="expertise" maxlength="64" autocomplete="off"></label>
<label>Region <input name="region" maxlength="64" autocomplete="off"></label>
<button type="submit" id="start">Start</button></form><p id="status"></p>
<h2>Campaigns</h2>${campaignList(campaigns, false)}`,
    "/assets/label-signup.js",
  );
}

export function campaignListPage(csrf: string, campaigns: CampaignLine[]): LabelPage {
  return labelPage("Labeling", csrf, html`<h1>Labeling campaigns</h1>${campaignList(campaigns, true)}`);
}

export function labelerPage(csrf: string, campaignId: string, campaignName: string): LabelPage {
  return labelPage(
    `Labeling: ${campaignName}`,
    csrf,
    html`<h1>${campaignName} <small id="progress" class="muted"></small></h1>
<div id="task" data-campaign="${campaignId}">
<section id="prompt"></section>
<div class="cols"><div><h2>Answer A <span class="who" id="who-left"></span></h2><div class="ans" id="left"></div></div><div><h2>Answer B <span class="who" id="who-right"></span></h2><div class="ans" id="right"></div></div></div>
<label>Reason (optional) <textarea id="reason" maxlength="2000"></textarea></label>
<div class="bar" id="choices">
<button id="vote-left" data-choice="left"><kbd>A</kbd> A is better</button>
<button id="vote-right" data-choice="right"><kbd>B</kbd> B is better</button>
<button id="vote-tie" data-choice="tie"><kbd>T</kbd> Tie</button>
<button id="vote-both-bad" data-choice="both_bad"><kbd>X</kbd> Both are bad</button>
</div>
<p class="note" id="reveal" hidden></p>
<div class="bar" id="after-vote" hidden><button id="next"><kbd>N</kbd> Next pair</button></div>
</div>
<p id="status" aria-live="polite"></p>
<p><a href="${campaignPath(campaignId)}/leaderboard">Leaderboard</a> · <a href="/label">All campaigns</a></p>`,
    "/assets/label.js",
  );
}

export function leaderboardPage(
  campaignName: string,
  rows: Array<{ model: string; rating: number; lower: number; upper: number; battles: number; rank: number }>,
  votes: number,
): LabelPage {
  const body = rows.map(
    (r) =>
      html`<tr><td class="num">${r.rank}</td><td class="model">${r.model}</td><td class="num rating">${r.rating.toFixed(0)}</td><td class="num">${r.lower.toFixed(0)} – ${r.upper.toFixed(0)}</td><td class="num battles">${r.battles}</td></tr>`,
  );
  return labelPage(
    `Leaderboard: ${campaignName}`,
    "",
    html`<h1>Leaderboard: ${campaignName}</h1><p id="votes">${votes} votes</p>
<div class="scroll"><table id="board"><thead><tr><th class="num">Rank</th><th>Model</th><th class="num">Rating</th><th class="num">95% CI</th><th class="num">Battles</th></tr></thead><tbody>${body}</tbody></table></div>
<p class="small muted">Bradley-Terry ratings (mean 1000) from this campaign's votes, 95% bootstrap intervals; rank = 1 + models surely better.</p>`,
  );
}

/**
 * The admin page. With the admin token in an `Authorization: Bearer` header (curl, or a proxy that adds it),
 * it opens without the form: `authorized` marks it for the script, which then sends no token of its own.
 */
export function adminPage(authorized: boolean): LabelPage {
  return labelPage(
    "Labeling admin",
    "",
    html`<h1>Labeling admin</h1>
<form id="login" class="stack"${authorized ? html` hidden` : ""}><label>Admin token (the one <code>modelmap serve --admin-token</code> was started with) <input type="password" name="token" autocomplete="off"></label><button>Open</button></form>
<section id="admin" data-authorized="${authorized ? "1" : ""}" hidden>
<h2>Campaigns</h2><div class="scroll"><table id="campaigns"><thead><tr><th>Id</th><th>Set</th><th>Models</th><th class="num">Items</th><th class="num">Gold</th><th class="num">Labelers</th><th class="num">Votes</th><th></th></tr></thead><tbody></tbody></table></div>
<h2>New campaign</h2>
<form id="create" class="stack"><label>Name <input name="name" required></label><label>Prompt set <input name="set" required></label>
<label>Models (comma-separated) <input name="models" required></label><label>Items per labeler <input name="perLabeler" type="number" value="4" min="1"></label>
<label>Reveal <select name="reveal"><option value="after">after the vote</option><option value="never">never</option></select></label>
<label>Gold rate <input name="goldRate" type="number" step="0.01" value="0.1" min="0" max="1"></label>
<button>Create</button></form><pre id="quality"></pre></section><p id="status"></p>`,
    "/assets/label-admin.js",
  );
}
