import assert from "node:assert/strict";
import { test } from "node:test";
import { LimitExceeded, RenderBudget } from "./budget.ts";
import { renderBounded } from "./sandbox.ts";

const KIND = { what: "template", hint: "fix it", field: "doc_to_text" };

test("ten billion loop steps in a non-chat template stop at a limit, naming origin and field", () => {
  const started = Date.now();
  let message = "";
  try {
    renderBounded(
      "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
      {},
      "task 't' (t.yaml)",
      KIND,
      {
        limits: { maxSteps: 200_000 },
      },
    );
  } catch (e) {
    message = (e as Error).message;
  }
  assert.match(
    message,
    /^task 't' \(t\.yaml\), field 'doc_to_text': template: limit exceeded: rendering took more than/,
  );
  assert.ok(Date.now() - started < 60_000);
});

test("range() and built values are sized before they grow", () => {
  const b = new RenderBudget({ maxItems: 10, maxOutputChars: 20 });
  assert.deepEqual(b.range(3), [0, 1, 2]);
  assert.throws(() => b.range(1_000_000_000), LimitExceeded);
  assert.throws(() => b.items(11), /list of 11 items/);
  assert.throws(() => b.check("x".repeat(21)), /string of 21 characters/);
  assert.equal(b.check("ok"), "ok");
  assert.throws(
    () => renderBounded("{% for i in range(1000000000) %}x{% endfor %}", {}, "o", KIND),
    /range\(\) of 1000000000 items/,
  );
});
