import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { pyFloatRepr, pyJsonDumps, pyRepr, pyStr } from "./py-format.ts";

const PYTHON = "/usr/bin/python3";

const VALUES: unknown[] = [
  "plain",
  "it's",
  'say "hi"',
  `both ' and "`,
  "tab\tnew\nline\r\\ back",
  "\u0007bell \u007f del \u00a0nbsp \u200b zwsp \u2028 ls",
  "émoji 🚀 中文 \ud83d\ude00",
  "",
  0,
  -3,
  12345678901234,
  0.1,
  -0.5,
  1e-5,
  1.5e-7,
  0.0001,
  0.00011,
  1e16,
  1.2345e17,
  123456789.123,
  1e22,
  2 ** 53 + 0.5,
  true,
  false,
  null,
  [],
  {},
  [1, "a", [true, null], { k: 0.25 }],
  { question: "What's 2+2?", choices: ["3", "4"], label: 1, score: 0.75, nested: { deep: [1e-9, "x\ny"] } },
];

/** Python's own `repr`, `str` and `json.dumps(indent=2, ensure_ascii=False)` of each value (read from JSON). */
function pythonSpellings(values: unknown[]): Array<{ repr: string; str: string; dumps: string }> {
  const script = [
    "import json, sys",
    "for line in sys.stdin:",
    "    v = json.loads(line)",
    "    print(json.dumps({'repr': repr(v), 'str': str(v), 'dumps': json.dumps(v, indent=2, ensure_ascii=False)}))",
  ].join("\n");
  const r = spawnSync(PYTHON, ["-c", script], {
    input: values.map((v) => JSON.stringify(v)).join("\n"),
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { repr: string; str: string; dumps: string });
}

test("repr, str and json.dumps spell values as Python 3 does", {
  skip: !existsSync(PYTHON) && `${PYTHON} missing`,
}, () => {
  const py = pythonSpellings(VALUES);
  VALUES.forEach((v, i) => {
    const want = py[i] ?? assert.fail(`no Python answer for ${i}`);
    assert.equal(pyRepr(v), want.repr, `repr of ${JSON.stringify(v)}`);
    assert.equal(pyStr(v), want.str, `str of ${JSON.stringify(v)}`);
    assert.equal(pyJsonDumps(v, 2), want.dumps, `json.dumps of ${JSON.stringify(v)}`);
  });
});

test("float repr: exponent below 1e-4 and from 1e16, a trailing .0 on integral floats", () => {
  assert.equal(pyFloatRepr(1), "1.0");
  assert.equal(pyFloatRepr(1e-5), "1e-05");
  assert.equal(pyFloatRepr(0.0001), "0.0001");
  assert.equal(pyFloatRepr(1e16), "1e+16");
  assert.equal(pyFloatRepr(-2.5e-7), "-2.5e-07");
  assert.equal(pyFloatRepr(Number.NaN), "nan");
  assert.equal(pyFloatRepr(Number.NEGATIVE_INFINITY), "-inf");
});
