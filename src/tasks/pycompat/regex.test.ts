import assert from "node:assert/strict";
import { test } from "node:test";
import { pythonOrSkip, runPython } from "../../../test/support/python-oracle.ts";
import { PyRegexError, pyCompile, pyEscape, pySub } from "./regex.ts";
import { pyCapitalize, pyFloatRepr, pySplitWhitespace, pyStrip } from "./str.ts";

const TEXTS = [
  "The answer is 42.\n#### 1,234",
  "So the answer is (B).\nAnswer: C",
  "x\r\ny\u2028z end\n",
  "naïve café ２３ ١٢ 3.14 -7 $5,000",
  "word_sorting: apple banana\tcherry\u00a0date\u001cend",
  "[title] Foo  bar [header] baz",
  "{a} {2} }{ ]",
  "",
  "Yes, it is plausible. No.",
  "A: (A) foo (B) bar\n(C) baz",
];

const PATTERNS: Array<[string, Record<string, boolean>?]> = [
  ["#### (\\-?[0-9\\.\\,]+)"],
  ["(-?[$0-9.,]{2,})|(-?[0-9]+)"],
  ["The answer is (\\-?[0-9\\.\\,]*[0-9]+)"],
  ["(?<=the answer is )(.*)(?=.)"],
  ["\\([A-Z]\\)"],
  ["\\(([A-Z])\\)([^\\n^(]*)"],
  [":[\\s]*(A|B|C)"],
  ["\\b(no|not plausible)\\b"],
  ["\\w+"],
  ["\\d+"],
  ["\\s+"],
  ["\\W+"],
  ["[^\\W\\d]+"],
  ["[\\S]+"],
  ["."],
  ["(?s)."],
  ["^\\w+$"],
  ["(?m)^\\w+$"],
  ["end$"],
  ["\\[.*?\\]"],
  ["(?P<x>\\w)(?P=x)"],
  ["a{,2}"],
  ["\\{\\d\\}|{|}"],
  ["[]\\]]"],
  ["(?i)YES|no"],
  ["(?i:yes)|No"],
  ["x*"],
  ["\\bplausible\\b"],
  ["[\\-\\.]"],
  ["\\$\\d"],
  ["(?x) \\d + # digits\n"],
  ["\\101\\x42\\u0043"],
  ["(a)|(b)|(c)"],
  [pyEscape("(A) foo-bar. $5 #1 a&b ~")],
];

test("Python regexes: findall, sub and split agree with CPython's re", (t) => {
  // Inline checks (taken from CPython) that run without python3.
  assert.deepEqual(pyCompile("(-?[$0-9.,]{2,})|(-?[0-9]+)").findall("I have $18 and 7"), [
    ["$18", ""],
    ["", "7"],
  ]);
  assert.deepEqual(pyCompile("\\d+").findall("٣٤ and 56"), ["٣٤", "56"], "\\d is Unicode in Python");
  assert.deepEqual(pyCompile(".").findall("a\rb"), ["a", "\r", "b"], ". matches \\r in Python");
  assert.deepEqual(pyCompile("end$").findall("the end\n"), ["end"], "$ matches before a final newline");
  assert.equal(pySub("\\[.*?\\]", "", "a [title] b [x]"), "a  b ");
  assert.deepEqual(pyCompile("\\w+").findall("naïve café"), ["naïve", "café"]);
  assert.deepEqual(pyCompile("\\s+").split("a\u001cb c"), ["a", "b", "c"]);
  assert.equal(pySub("(\\w+) (\\w+)", "\\2 \\g<1>", "hello world"), "world hello");

  const py = pythonOrSkip(t);
  if (!py) return;
  const cases = PATTERNS.map(([pattern]) => ({ pattern, texts: TEXTS }));
  const expected = runPython(
    py,
    `
import re
OUTPUT = []
for c in INPUT:
    p = re.compile(c["pattern"])
    OUTPUT.append({
        "findall": [p.findall(s) for s in c["texts"]],
        "sub": [p.sub("<\\\\g<0>>", s) for s in c["texts"]],
        "split": [p.split(s) if p.groups == 0 else None for s in c["texts"]],
    })
`,
    cases,
  ) as Array<{ findall: unknown[]; sub: string[]; split: Array<string[] | null> }>;
  cases.forEach((c, i) => {
    const p = pyCompile(c.pattern);
    const exp = expected[i];
    assert.ok(exp);
    c.texts.forEach((s, j) => {
      assert.deepEqual(p.findall(s), exp.findall[j], `findall ${JSON.stringify(c.pattern)} on ${JSON.stringify(s)}`);
      assert.equal(p.sub("<\\g<0>>", s), exp.sub[j], `sub ${JSON.stringify(c.pattern)} on ${JSON.stringify(s)}`);
      const sp = exp.split[j];
      if (sp) assert.deepEqual(p.split(s), sp, `split ${JSON.stringify(c.pattern)}`);
    });
  });
});

test("Python regex syntax JavaScript cannot express is an error, not a silent change", () => {
  assert.throws(() => pyCompile("(?>a+)b"), PyRegexError);
  assert.throws(() => pyCompile("a++"), PyRegexError);
  assert.throws(() => pyCompile("(a)?(?(1)b|c)"), PyRegexError);
  assert.throws(() => pyCompile("\\q"), /bad escape/);
  assert.throws(() => pyCompile("(a"), /missing \)/);
  assert.throws(() => pyCompile("a(?i)b"), /global flags not at the start/);
});

test("Python str helpers: strip/split whitespace, capitalize, float repr", (t) => {
  assert.equal(pyStrip("\u001c a \ufeff"), "a \ufeff", "U+001C is whitespace to Python, U+FEFF is not");
  assert.deepEqual(pySplitWhitespace(" a\u0085b  c "), ["a", "b", "c"]);
  assert.equal(pyCapitalize("hELLO wORLD"), "Hello world");
  assert.equal(pyCapitalize("ßa"), "Ssa");
  assert.equal(pyFloatRepr(5), "5.0");
  assert.equal(pyFloatRepr(1e-7), "1e-07");
  assert.equal(pyFloatRepr(1.5e16), "1.5e+16");
  assert.equal(pyFloatRepr(0.1 + 0.2), "0.30000000000000004");
  const py = pythonOrSkip(t);
  if (!py) return;
  const inputs = ["ǆemal", "ﬁne", "ΑΣ ΟΔΟΣ", "İstanbul", "ᾳ", "ŉ", "abc DEF", "1abc", "", " x", "ǅ", "აბ"];
  const exp = runPython(py, "OUTPUT = [s.capitalize() for s in INPUT]", inputs) as string[];
  inputs.forEach((s, i) => {
    assert.equal(pyCapitalize(s), exp[i], `capitalize(${JSON.stringify(s)})`);
  });
  const floats = [0.1, 1 / 3, 1e15, 9.999e15, 1e16, 12345.678, 1e-4, 9.9e-5, -2.5e-10, 123456789012345680];
  const fexp = runPython(py, "OUTPUT = [repr(float(x)) for x in INPUT]", floats) as string[];
  floats.forEach((x, i) => {
    assert.equal(pyFloatRepr(x), fexp[i], `repr(${x})`);
  });
});
