/**
 * Safe markdown for model output, which is hostile input. Every character of the text is HTML-escaped
 * first; only then are a few markdown constructs turned into a fixed set of tags without attributes
 * (p, br, pre, code, strong, em, ul, ol, li, h3-h6, blockquote, and table, thead, tbody, tr, th, td for pipe
 * tables). Links and images are shown as their
 * escaped source text and raw HTML as text, so nothing in an answer can run script, load a resource or
 * navigate: there is no code path that emits an attribute.
 */
import { escapeHtml } from "./html.ts";

function inline(escaped: string): string {
  // Code spans first, protected from the other rules by placeholders.
  const codes: string[] = [];
  let s = escaped.replace(/`([^`\n]+)`/g, (_m, c: string) => {
    codes.push(c);
    return `\u0000${codes.length - 1}\u0000`;
  });
  s = s.replace(/\*\*([^*\n]+)\*\*/g, "<strong>$1</strong>").replace(/__([^_\n]+)__/g, "<strong>$1</strong>");
  s = s.replace(/(^|[^*])\*([^*\n]+)\*(?!\*)/g, "$1<em>$2</em>");
  return s.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => `<code>${codes[Number(i)] ?? ""}</code>`);
}

export function renderMarkdown(text: string): string {
  const lines = escapeHtml(text.replace(/\u0000/g, "")).split(/\r?\n/);
  const out: string[] = [];
  let para: string[] = [];
  let list: { tag: "ul" | "ol"; items: string[] } | undefined;
  const flushPara = () => {
    if (para.length) out.push(`<p>${para.map(inline).join("<br>")}</p>`);
    para = [];
  };
  const flushList = () => {
    if (list) out.push(`<${list.tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join("")}</${list.tag}>`);
    list = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const fence = /^\s*(```|~~~)/.exec(line);
    if (fence) {
      flushPara();
      flushList();
      const body: string[] = [];
      i++;
      while (i < lines.length && !(lines[i] as string).trimStart().startsWith(fence[1] as string))
        body.push(lines[i++] as string);
      out.push(`<pre><code>${body.join("\n")}</code></pre>`);
      continue;
    }
    // A pipe table: a header row, a |---| separator row, then body rows (`\|` is a literal bar in a cell).
    if (/^\s*\|.*\|\s*$/.test(line) && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1] ?? "")) {
      flushPara();
      flushList();
      const cells = (row: string) =>
        row
          .trim()
          .replace(/^\|/, "")
          .replace(/(?<!\\)\|$/, "")
          .split(/(?<!\\)\|/)
          .map((c) => inline(c.trim().replace(/\\\|/g, "|")));
      const head = cells(line);
      const body: string[][] = [];
      i += 2;
      while (i < lines.length && /^\s*\|.*\|\s*$/.test(lines[i] as string)) body.push(cells(lines[i++] as string));
      i--;
      out.push(
        `<table><thead><tr>${head.map((c) => `<th>${c}</th>`).join("")}</tr></thead><tbody>${body
          .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`)
          .join("")}</tbody></table>`,
      );
      continue;
    }
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) {
      flushPara();
      flushList();
      const level = Math.min(6, Math.max(3, (h[1] as string).length + 2));
      out.push(`<h${level}>${inline(h[2] as string)}</h${level}>`);
      continue;
    }
    const ul = /^\s*[-*+]\s+(.*)$/.exec(line);
    const ol = /^\s*\d{1,3}[.)]\s+(.*)$/.exec(line);
    if (ul || ol) {
      flushPara();
      const tag = ul ? "ul" : "ol";
      if (list && list.tag !== tag) flushList();
      list ??= { tag, items: [] };
      list.items.push(((ul ?? ol) as RegExpExecArray)[1] as string);
      continue;
    }
    const quote = /^&gt;\s?(.*)$/.exec(line);
    if (quote) {
      flushPara();
      flushList();
      out.push(`<blockquote>${inline(quote[1] as string)}</blockquote>`);
      continue;
    }
    if (line.trim() === "") {
      flushPara();
      flushList();
      continue;
    }
    flushList();
    para.push(line);
  }
  flushPara();
  flushList();
  return out.join("\n");
}
