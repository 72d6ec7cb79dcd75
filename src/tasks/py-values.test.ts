import assert from "node:assert/strict";
import { test } from "node:test";
import { floatRepr, literalEval, PyFloat, PyTuple, pyJsonDumps, pyRepr, pyStr } from "./py-values.ts";

test("str() and repr() print as Python prints (values from CPython 3.11)", () => {
  assert.equal(pyStr([1, "a", "it's", null, true, 1.5, { k: "v" }]), `[1, 'a', "it's", None, True, 1.5, {'k': 'v'}]`);
  assert.equal(pyRepr(`both ' and "`), `'both \\' and "'`);
  assert.equal(pyRepr("tab\tnew\nline\u0002\u00e9"), "'tab\\tnew\\nline\\x02é'");
  assert.equal(pyStr(PyTuple.of2([1])), "(1,)");
  assert.equal(pyStr(new PyFloat(2)), "2.0");
  for (const [x, s] of [
    [0.1 + 0.2, "0.30000000000000004"],
    [1e-5, "1e-05"],
    [0.0001, "0.0001"],
    [1e16, "1e+16"],
    [123456789012345680, "1.2345678901234568e+17"],
    [1 / 3, "0.3333333333333333"],
    [-2.5, "-2.5"],
  ] as const)
    assert.equal(floatRepr(x), s);
});

test("literal_eval reads what Python's repr writes", () => {
  assert.deepEqual(literalEval(`["x's", 'y"q', 'z\\n', 1, -2, 3.5, None, True]`), [
    "x's",
    'y"q',
    "z\n",
    1,
    -2,
    3.5,
    null,
    true,
  ]);
  assert.deepEqual(literalEval("{'a': [1, (2, 3)]}"), { a: [1, PyTuple.of2([2, 3])] });
  assert.equal(literalEval(" 42 "), 42);
  assert.throws(() => literalEval("[1, 2"), /not a Python literal/);
  assert.throws(() => literalEval("foo"), /name 'foo'/);
});

test("json.dumps as Python writes it (separators, floats, ensure_ascii)", () => {
  const v = { s: 'é\u0002"', f: new PyFloat(0), n: 1, l: [true, null] };
  assert.equal(pyJsonDumps(v, { ensureAscii: false }), '{"s": "é\\u0002\\"", "f": 0.0, "n": 1, "l": [true, null]}');
  assert.equal(pyJsonDumps(v), '{"s": "\\u00e9\\u0002\\"", "f": 0.0, "n": 1, "l": [true, null]}');
  assert.equal(pyJsonDumps({ b: 1, a: 2 }, { sortKeys: true }), '{"a": 2, "b": 1}');
});
