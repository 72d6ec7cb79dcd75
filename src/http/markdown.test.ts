import assert from "node:assert/strict";
import { test } from "node:test";
import { renderMarkdown } from "./markdown.ts";

test("markdown renders a small safe subset", () => {
  const html = renderMarkdown("## Title\n\nSome **bold** and *em* and `x<y`.\n\n- a\n- b\n\n1. one\n\n```\n<tag>\n```");
  assert.match(html, /<h4>Title<\/h4>/);
  assert.match(html, /<strong>bold<\/strong>/);
  assert.match(html, /<em>em<\/em>/);
  assert.match(html, /<code>x&lt;y<\/code>/);
  assert.match(html, /<ul><li>a<\/li><li>b<\/li><\/ul>/);
  assert.match(html, /<ol><li>one<\/li><\/ol>/);
  assert.match(html, /<pre><code>&lt;tag&gt;<\/code><\/pre>/);
});

test("hostile payloads never produce a tag with attributes or a live element", () => {
  const payloads = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    "[click me](javascript:window.__pwned=1)",
    "![img](x onerror=alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=//evil></iframe><svg onload=alert(1)>",
    "**<b onmouseover=alert(1)>x</b>**",
    "`</code><script>alert(1)</script>`",
    "\u0000<script>x</script>",
  ];
  for (const p of payloads) {
    const html = renderMarkdown(p);
    assert.doesNotMatch(html, /<(?!\/?(p|br|pre|code|strong|em|ul|ol|li|h[3-6]|blockquote)>)/, `${p} -> ${html}`);
    assert.doesNotMatch(html, /<[a-z0-9]+\s/i, "no tag has attributes");
  }
});

test("pipe tables render as a table of escaped cells, with no attribute anywhere", () => {
  const out = renderMarkdown(
    '| Model | Score \\| CI |\n|---|---|\n| <img src=x onerror="alert(1)"> | **7** |\n| `a|b` | [x](javascript:alert(1)) |',
  );
  assert.match(out, /^<table><thead><tr><th>Model<\/th><th>Score \| CI<\/th><\/tr><\/thead><tbody>/);
  assert.match(out, /<td>&lt;img src=x onerror=&quot;alert\(1\)&quot;&gt;<\/td><td><strong>7<\/strong><\/td>/);
  assert.doesNotMatch(out, /<[a-z]+ [^>]*=/, "no element carries an attribute");
  // Without the separator row it is a paragraph, not a table.
  assert.match(renderMarkdown("| a | b |\n| c | d |"), /^<p>\| a \| b \|<br>\| c \| d \|<\/p>$/);
});
