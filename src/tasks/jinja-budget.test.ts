import assert from "node:assert/strict";
import { test } from "node:test";
import { renderTemplate } from "./jinja.ts";

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return assert.fail("expected an error");
}

test("task templates render within the budget: a billion-item range, nested loops, doubling strings", () => {
  const where = "t.yaml: task 't' doc_to_text";
  // lm-eval's Jinja semantics are kept: ordinary templates render as before.
  assert.equal(renderTemplate("{% for i in range(3) %}{{ i }},{% endfor %}{{ q }}", { q: "x" }, where), "0,1,2,x");
  assert.match(
    message(() => renderTemplate("{% for i in range(1000000000) %}x{% endfor %}", {}, where)),
    /^t\.yaml: task 't' doc_to_text: range\(\) of 1000000000 items \(limit 100000\)/,
  );
  assert.match(
    message(() =>
      renderTemplate("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", {}, where),
    ),
    /took more than/,
  );
  assert.match(
    message(() =>
      renderTemplate(
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
        {},
        where,
      ),
    ),
    /built a string of \d+ characters/,
  );
  assert.match(
    message(() => renderTemplate("{{ [1, 2] * 1000000000 }}", {}, where)),
    /built a list of/,
  );
  assert.match(
    message(() => renderTemplate("{{ 'ab' * 1000000000 }}", {}, where)),
    /built a string of/,
  );
});
