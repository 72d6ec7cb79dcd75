import assert from "node:assert/strict";
import { test } from "node:test";
import { pythonOrSkip, runPython } from "../../../test/support/python-oracle.ts";
import { pyLiteralEval } from "./literal.ts";

const CASES = [
  "['Mackenzie', 'Ana']",
  `["O'Neil", 'say "hi"', 'tab\\tnew\\nline', 'back\\\\slash', '\\x41\\u00e9\\U0001F600', r'raw\\n']`,
  "('a', 'b')",
  "('single',)",
  "()",
  "[1, -2, 3.5, 1e3, 0x1f, 1_000, True, False, None]",
  "{'k': [1, 2], 'n': {'x': 'y'}}",
  "'adjacent' \"strings\"",
  "[  'spaces' ,\n 'and newlines' , ]",
  "'''triple\nquoted'''",
  "(1)",
];

test("ast.literal_eval: the literals Python accepts, as CPython evaluates them", (t) => {
  assert.deepEqual(pyLiteralEval("['Mackenzie', 'Ana']"), ["Mackenzie", "Ana"]);
  assert.deepEqual(pyLiteralEval("('single',)"), ["single"]);
  assert.throws(() => pyLiteralEval("open('x')"), /malformed node or string/);
  assert.throws(() => pyLiteralEval("['unterminated"), /unterminated string/);
  const py = pythonOrSkip(t);
  if (!py) return;
  const expected = runPython(py, "import ast\nOUTPUT = [ast.literal_eval(s) for s in INPUT]", CASES) as unknown[];
  CASES.forEach((c, i) => {
    assert.deepEqual(pyLiteralEval(c), expected[i], c);
  });
});
