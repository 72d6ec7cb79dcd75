import { type HtmlValue, html, raw, type Safe } from "./html.ts";

/**
 * The one shared page shell: navigation from every route module's `nav`, inline CSS (the CSP allows inline
 * styles but no external requests), mobile-first layout. Every page uses it, the labeling pages included (they
 * add their CSRF meta tag, a few styles and their script).
 */
const CSS = `
:root{--fg:#1b1f24;--muted:#5b6470;--bg:#fff;--line:#d8dde3;--accent:#0b63c5;--soft:#f3f6f9}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#12263f;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center}
header .brand{font-weight:700;color:#fff;text-decoration:none;margin-right:.5rem}
header nav{display:flex;flex-wrap:wrap;gap:.25rem .75rem}header nav a{color:#cfe3ff;text-decoration:none}
header nav a[aria-current=page]{color:#fff;text-decoration:underline}
main{padding:1rem;max-width:1400px;margin:0 auto}h1{font-size:1.4rem;margin:.2rem 0 .8rem}h2{font-size:1.15rem;margin:1.4rem 0 .5rem}
a{color:var(--accent)}.muted{color:var(--muted)}.small{font-size:.85rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{padding:.3rem .5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--soft);position:sticky;top:0;white-space:nowrap}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.tied td{background:#fff8e1}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin:.5rem 0 1rem;padding:.6rem;background:var(--soft);border-radius:6px}
form.filters label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted)}
input,select,button{font:inherit;padding:.3rem .4rem;border:1px solid var(--line);border-radius:4px;background:#fff}button{background:var(--accent);color:#fff;border-color:var(--accent);cursor:pointer}
.pager{display:flex;gap:1rem;margin:.6rem 0}.badge{display:inline-block;padding:0 .35rem;border-radius:3px;font-size:.75rem;background:#e8eef5;color:#33475b}
.badge.warn{background:#fde2e1;color:#8a1c14}.badge.good{background:#dff3e4;color:#155d2b}
pre{white-space:pre-wrap;word-break:break-word;background:var(--soft);padding:.6rem;border-radius:4px;font-size:.82rem;max-height:28rem;overflow:auto}
svg{max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif}
.note{border-left:3px solid var(--accent);padding:.3rem .8rem;background:var(--soft);margin:.8rem 0}.note.warn{border-left-color:#d1242f;background:#fdf0ef}.note p{margin:.3rem 0}
tr.demoted td{background:#fdf6f5}
table.board{font-size:.82rem}table.board th{white-space:normal;min-width:3.2rem;overflow-wrap:anywhere}table.board td.model{min-width:9rem;max-width:19rem;overflow-wrap:anywhere}
.se{display:block;font-size:.72rem;color:var(--muted)}
tr.pass td:first-child,td.pass{box-shadow:inset 4px 0 #2e7d32}tr.fail td:first-child,td.fail{box-shadow:inset 4px 0 #c62828}tr.error td:first-child,td.error{box-shadow:inset 4px 0 #8e24aa}
tr.fail td{background:#fff7f6}tr.gold td{background:#eef8f0}tr.primary td{font-weight:600}td.prompt{white-space:pre-wrap;word-break:break-word;max-width:28rem}.err{color:#b3261e}
article.card table{display:block;overflow-x:auto;margin:.5rem 0}article.card h3{font-size:1.3rem}article.card h4{font-size:1.1rem;margin-top:1.4rem}
.cols2{display:grid;grid-template-columns:1fr 1fr;gap:1rem}@media (max-width:640px){.cols2{grid-template-columns:1fr}}
details.columns{flex-basis:100%}details.columns label.check{display:inline-flex;flex-direction:row;gap:.25rem;margin:.2rem .8rem .2rem 0;color:var(--fg);font-size:.85rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
@media (max-width:640px){main{padding:.6rem}th,td{padding:.25rem .3rem}h1{font-size:1.2rem}}
`;

/** A link in the site navigation; `order` places it among the other modules' links. */
export interface NavEntry {
  path: string;
  label: string;
  order: number;
}

export interface PageOptions {
  title: string;
  /** Current path, to mark the active nav entry. */
  path: string;
  nav: NavEntry[];
  body: HtmlValue;
  /** Extra elements in <head> (the labeling pages' CSRF meta tag and styles). */
  head?: HtmlValue;
  /** A same-origin script to load (the CSP allows no inline script). */
  script?: string;
}

export function page(o: PageOptions): string {
  const links = o.nav.map(
    ({ path, label }) =>
      html`<a href="${path}"${raw(o.path === path || o.path.startsWith(`${path}/`) ? ' aria-current="page"' : "")}>${label}</a>`,
  );
  const doc: Safe = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${o.title} · modelmap</title><style>${raw(CSS)}</style>${o.head ?? ""}</head>
<body><header><a class="brand" href="/map">modelmap</a><nav>${links}</nav></header>
<main>${o.body}</main>${o.script ? html`<script src="${o.script}" defer></script>` : ""}</body></html>`;
  return doc.value;
}
