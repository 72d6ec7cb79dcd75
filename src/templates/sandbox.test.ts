import assert from "node:assert/strict";
import { test } from "node:test";
import { ModelmapError } from "../core/errors.ts";
import { compileTemplate, renderCompiled, strftime } from "./sandbox.ts";

// No clock limit here (1e9 ms), so that these tests do not depend on how busy the machine is.
const SMALL = { maxSteps: 50_000, maxMillis: 1e9, maxOutputChars: 100_000, maxItems: 10_000 };

function templateErr(fn: () => unknown): ModelmapError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ModelmapError, `expected ModelmapError, got ${String(e)}`);
    assert.equal(e.code, "template");
    return e;
  }
  assert.fail("expected a template error");
}

const render = (src: string, vars: Record<string, unknown> = {}) =>
  renderCompiled(compileTemplate(src, "t.jinja"), vars, { limits: SMALL });

test("renders a chat template like Hugging Face (trim_blocks, lstrip_blocks, builtin raise_exception)", () => {
  const src = "{% for m in messages %}\n  {{ m.role }}: {{ m.content | trim }}\n{% endfor %}";
  assert.equal(render(src, { messages: [{ role: "user", content: " hi " }] }), "  user: hi\n");
});

test("an endless-ish loop is stopped by the step limit", () => {
  const e = templateErr(() =>
    render("{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}done"),
  );
  assert.match(e.message, /limit exceeded: rendering took more than 50000 steps/);
});

test("the clock bounds a render even when steps would allow it", () => {
  const src = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}";
  const e = templateErr(() =>
    renderCompiled(compileTemplate(src), {}, { limits: { maxSteps: 1e12, maxMillis: 50, maxItems: 100_000 } }),
  );
  assert.match(e.message, /more than 50 ms/);
});

test("doubling a string is stopped by the output limit", () => {
  const src = "{% set s = namespace(v='x') %}{% for i in range(64) %}{% set s.v = s.v + s.v %}{% endfor %}{{ s.v }}";
  const e = templateErr(() => render(src));
  assert.match(e.message, /built a string of \d+ characters \(limit 100000\)/);
});

test("range() refuses to allocate past the item limit", () => {
  const e = templateErr(() => render("{{ range(1000000000) | length }}"));
  assert.match(e.message, /range\(\) of 1000000000 items/);
  assert.equal(
    render("{{ range(3) | join(',') }}|{{ range(1, 7, 2) | join(',') }}|{{ range(3, 0, -1) | join(',') }}"),
    "0,1,2|1,3,5|3,2,1",
  );
});

test("templates cannot reach host objects or run code", () => {
  templateErr(() => render(`{{ "".constructor.constructor("return process")() }}`));
  assert.equal(render("{{ messages.constructor }}{{ ''.__class__ }}", { messages: [] }), "");
});

test("a syntax error points at its line and column", () => {
  const e = templateErr(() => compileTemplate("hello\nworld\n{{ foo( }}", "bad.jinja"));
  assert.equal(e.location?.file, "bad.jinja");
  assert.equal(e.location?.line, 3);
  assert.match(e.message, /line 3, column 9/);
  assert.match(e.message, /\n {2}\{\{ foo\( \}\}\n {10}\^/);
});

test("an unclosed block and an unterminated string are located", () => {
  const a = templateErr(() => compileTemplate("{% if true %}\nabc"));
  assert.match(a.message, /unexpected end of template/);
  assert.equal(a.location?.line, 2);
  const b = templateErr(() => compileTemplate("x\n{{ 'abc }}"));
  assert.match(b.message, /Unexpected end of input/);
  assert.equal(b.location?.line, 2);
});

test("runtime errors name the template's message or the unknown filter and where it is", () => {
  const a = templateErr(() => render("a\n{{ raise_exception('Only user and assistant roles') }}"));
  assert.match(a.message, /the template raised an exception: Only user and assistant roles/);
  assert.equal(a.location?.line, 2);
  const b = templateErr(() => render("x\n\n{{ x | nofilter }}", { x: 1 }));
  assert.match(b.message, /nofilter/);
  assert.equal(b.location?.line, 3);
});

test("oversized templates are refused before parsing", () => {
  templateErr(() => compileTemplate("x".repeat(600 * 1024)));
});

test("strftime_now reads the injected clock", () => {
  const now = new Date("2024-07-26T09:05:00Z");
  assert.equal(strftime("%d %b %Y %H:%M %A %%", now), "26 Jul 2024 09:05 Friday %");
  const out = renderCompiled(compileTemplate("{{ strftime_now('%Y-%m-%d') }}"), {}, { now });
  assert.equal(out, "2024-07-26");
});
