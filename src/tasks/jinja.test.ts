import assert from "node:assert/strict";
import { test } from "node:test";
import { Template } from "@huggingface/jinja";
import { docValue, evalExpression, renderText } from "./jinja.ts";

const DOC = { q: "Why?", n: 3, opts: ["a", "b"], nested: { x: ["p", "q"] }, f: 0.5 };

test("the fast path renders exactly what Jinja renders", () => {
  for (const t of [
    "Question: {{q}}\nAnswer:",
    "{{ q }} {{n}} {{opts[1]}} {{ nested.x[0] }}",
    "{{q}}\n",
    "{{ f }}",
    "{{ opts }}",
    "{{ missing }}x",
    "{% if n > 2 %}big{% endif %}",
  ]) {
    assert.equal(renderText(t, DOC, "t"), new Template(t).render(DOC), t);
  }
});

test("whole expressions yield values; plain text stays byte-exact", () => {
  assert.deepEqual(docValue("{{opts}}", DOC, "t"), ["a", "b"]);
  assert.equal(docValue("{{ n }}", DOC, "t"), 3);
  assert.equal(docValue("opts", DOC, "t"), DOC.opts);
  assert.deepEqual(evalExpression("[q, n]", DOC, "t"), ["Why?", 3]);
  assert.equal(renderText("about anatomy.\n\n", DOC, "t"), "about anatomy.\n\n");
});
