import assert from "node:assert/strict";
import { test } from "node:test";
import { ModelmapError } from "../core/errors.ts";
import { renderIsolated } from "./isolated.ts";

const isTemplateErr = (re: RegExp) => (e: unknown) =>
  e instanceof ModelmapError && e.code === "template" && re.test(e.message);

test("renders in a worker thread", async () => {
  const out = await renderIsolated(
    "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}",
    {
      messages: [{ role: "user", content: "hi" }],
    },
    { timeoutMs: 60_000 },
  );
  assert.equal(out, "[user]hi");
});

test("the sandbox's own errors come back with their location", async () => {
  await assert.rejects(
    () => renderIsolated("a\n{{ foo( }}", {}, { origin: "bad.jinja", timeoutMs: 60_000 }),
    (e: unknown) =>
      e instanceof ModelmapError && e.code === "template" && e.location?.line === 2 && /line 2, column/.test(e.message),
  );
});

test("a template that outruns the in-process limits is stopped by the worker timeout", async () => {
  const loop = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}";
  await assert.rejects(
    () => renderIsolated(loop, {}, { timeoutMs: 1500, limits: { maxSteps: 1e15, maxMillis: 1e9 } }),
    isTemplateErr(/more than 1500 ms \(worker stopped\)/),
  );
});

test("a template that exhausts the worker's heap is stopped without harming the caller", async () => {
  // Lists of long strings, with the size limits lifted: only the heap limit stops it.
  const hog =
    "{% set s = namespace(v='x', l=[]) %}{% for i in range(20) %}{% set s.v = s.v + s.v %}{% endfor %}" +
    "{% for i in range(100000) %}{% set s.l = s.l + [(s.v ~ i) | upper] %}{% endfor %}{{ s.l | length }}";
  await assert.rejects(
    () =>
      renderIsolated(
        hog,
        {},
        {
          timeoutMs: 60_000,
          maxHeapMb: 64,
          limits: { maxSteps: 1e15, maxMillis: 1e9, maxItems: 1e9, maxOutputChars: 1e9 },
        },
      ),
    isTemplateErr(/more than 64 MB \(worker stopped\)/),
  );
});
