import assert from "node:assert/strict";
import { test } from "node:test";
import { ModelmapError } from "../core/errors.ts";
import { evaluateExpression, renderTemplate } from "./jinja.ts";

// [template, context, what Python's Jinja2 3.1 renders with lm-eval's environment (StrictUndefined,
// keep_trailing_newline=True, its regex_replace filter)]: produced once with jinja2 and pasted here.
const PYTHON_JINJA: Array<[string, Record<string, unknown>, string]> = [
  ["{{ x }}", { x: [1, "a", "it's", null, true, 1.5, { k: "v" }] }, "[1, 'a', \"it's\", None, True, 1.5, {'k': 'v'}]"],
  [
    "{{ choices.label.index(answerKey) }}",
    { choices: { label: ["A", "B", "C"], text: ["x", "y", "z"] }, answerKey: "C" },
    "2",
  ],
  [
    "{{choices.text}}",
    { choices: { label: ["A", "B", "C"], text: ["x's", 'y"q', "z\n"] } },
    "[\"x's\", 'y\"q', 'z\\n']",
  ],
  [
    "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ s.split() }}|{{ s.split(' ', 1) }}|{{ s.upper() }}|{{ s.capitalize() }}|{{ s.title() }}|{{ s.replace('a', 'A', 1) }}",
    { s: "  hello a world\tand a cat  " },
    "hello a world\tand a cat|hello a world\tand a cat  |  hello a world\tand a cat|['hello', 'a', 'world', 'and', 'a', 'cat']|['', ' hello a world\\tand a cat  ']|  HELLO A WORLD\tAND A CAT  |  hello a world\tand a cat  |  Hello A World\tAnd A Cat  |  hello A world\tand a cat  ",
  ],
  [
    "{% set q = sentence.index('_') %}{{ sentence[:q] }}|{{ sentence[q+1:].strip() }}|{{ sentence[::-1] }}|{{ sentence[-3:] }}",
    { sentence: "The cat _ the mat." },
    "The cat |the mat.|.tam eht _ tac ehT|at.",
  ],
  ["{% for c in choices %}{{ loop.index }}. {{ c }}\n{% endfor %}", { choices: ["a", "b"] }, "1. a\n2. b\n"],
  [
    "{% set ns = namespace(n=0) %}{% for v in d.values() %}{% if v == 1 %}{% set ns.n = ns.n + 1 %}{% endif %}{% endfor %}{{ ns.n }} {{ d.keys() | list }} {{ d.items() | list }}",
    { d: { a: 1, b: 0, c: 1 } },
    "2 ['a', 'b', 'c'] [('a', 1), ('b', 0), ('c', 1)]",
  ],
  [
    "{{ x | length }} {{ x | join(', ') }} {{ x | first }} {{ x | last }} {{ x | reverse | list }} {{ x | sort }} {{ x|map('upper')|list }}",
    { x: ["b", "A", "c"] },
    "3 b, A, c b c ['c', 'A', 'b'] ['A', 'b', 'c'] ['B', 'A', 'C']",
  ],
  [
    "{{ n | int }} {{ s | int }} {{ f | int }} {{ s | float }} {{ n | string }} {{ 3 | float }} {{ 2.5 | round }} {{ 3.14159 | round(2) }}",
    { n: 3, s: "42", f: 3.9 },
    "3 42 3 42.0 3 3.0 2.0 3.14",
  ],
  [
    "{{ x is defined }} {{ y is defined }} {{ z is none }} {{ y | default('dflt') }}",
    { x: 1, z: null },
    "True False True dflt",
  ],
  [
    "{{ '%s is %d' % ('a', 3) }} {{ '{} and {}'.format('p', 'q') }} {{ 'ab' * 3 }} {{ [1] + [2] }} {{ 'a' ~ 1 ~ none }}",
    {},
    "a is 3 p and q ababab [1, 2] a1None",
  ],
  ["{{ {'1': 0, '2': 1}[answer] }}", { answer: "2" }, "1"],
  [
    "{{ [sentence[:sentence.index('_')] + option1, sentence[:sentence.index('_')] + option2] }}",
    { sentence: "I'd pick _ now", option1: "Ann", option2: "Bob" },
    '["I\'d pick Ann", "I\'d pick Bob"]',
  ],
  ["Line\n", {}, "Line\n"],
  ["{{ a }}\n\n", { a: "x" }, "x\n\n"],
  ["{%- if a -%}\n  yes\n{%- endif -%}\n", { a: 1 }, "yes"],
  [
    "{{ text | regex_replace('\\\\s+', ' ') }}|{{ text|trim }}|{{ text|wordcount }}",
    { text: "  a   b\n c  " },
    " a b c |a   b\n c|3",
  ],
  [
    "{{ 'x' if a > 1 else 'y' }} {{ a in [1,2] }} {{ 'b' in 'abc' }} {{ 'k' in d }} {{ not a }}",
    { a: 2, d: { k: 1 } },
    "x True True True False",
  ],
  [
    "{{ s.startswith('ab') }} {{ s.endswith(('x', 'cd')) }} {{ s.find('c') }} {{ s.count('a') }} {{ s.isdigit() }} {{ '12'.isdigit() }} {{ s.zfill(6) }}",
    { s: "abcd" },
    "True True 2 1 False True 00abcd",
  ],
  [
    "{{ x[0] }}{{ x.0 }} {{ d['k'] }} {{ d.k }} {{ d.get('q', 'none') }} {{ d.get('q') }}",
    { x: ["p", "q"], d: { k: "v" } },
    "pp v v none None",
  ],
  [
    "{{ l | select('odd') | list }} {{ l | reject('odd') | list }} {{ l | sum }} {{ l | max }} {{ l | min }} {{ l | unique | list }}",
    { l: [1, 2, 3, 3] },
    "[1, 3, 3] [2] 9 3 1 [1, 2, 3]",
  ],
  ["{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", { d: { a: 1, b: [2] } }, "a=1;b=[2];"],
  [
    "{{ 'Ünïcödé'.lower() }} {{ 'straße'.upper() }} {{ 'hello world'.title() }} {{ 'hello-world foo'|title }}",
    {},
    "ünïcödé STRASSE Hello World Hello-World Foo",
  ],
  ["{{ q }}{{ '\\n' }}{{ \"tab\\there\" }}", { q: "Q" }, "Q\ntab\there"],
  ["{% if a %}A{% elif b %}B{% else %}C{% endif %}", { a: 0, b: "" }, "C"],
  ["{{ x.split('\\n')[0] }} {{ x.splitlines() }}", { x: "l1\nl2\r\nl3" }, "l1 ['l1', 'l2', 'l3']"],
  // An unknown escape stays as it is in Python (here a regex).
  ["{{ x | regex_replace('\\[.*?\\]', '') }}|{{ '\\d' }}", { x: "a [b] c" }, "a  c|\\d"],
];

test("templates render as Python's Jinja2 renders them (lm-eval's environment)", () => {
  for (const [t, ctx, expected] of PYTHON_JINJA) assert.equal(renderTemplate(t, ctx, "t"), expected, t);
});

test("an undefined variable is an error when used (StrictUndefined), with the template in the hint", () => {
  assert.throws(
    () => renderTemplate("{{ missing }}x", { q: 1 }, "task 't' doc_to_text"),
    (e: unknown) =>
      e instanceof ModelmapError &&
      /task 't' doc_to_text: 'missing' is undefined/.test(e.message) &&
      /missing/.test(e.hint ?? ""),
  );
  assert.equal(renderTemplate("{{ missing | default('x') }}", {}, "t"), "x");
});

test("expressions yield values: lists stay lists, numbers numbers", () => {
  assert.deepEqual(evaluateExpression("[A, B]", { A: "a", B: "b" }, "t"), ["a", "b"]);
  assert.equal(evaluateExpression("'ABCD'.index(x)", { x: "C" }, "t"), 2);
  assert.deepEqual(evaluateExpression("{'text': o, 'label': 'ABC'[:o | length] | list}", { o: ["p", "q"] }, "t"), {
    text: ["p", "q"],
    label: ["A", "B"],
  });
});
