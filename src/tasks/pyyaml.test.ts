import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FunctionRef, readPyYaml } from "./pyyaml.ts";

function file(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), "mm-pyyaml-")), "t.yaml");
  writeFileSync(f, text);
  return f;
}

test("scalars resolve as PyYAML's YAML 1.1 resolver does", () => {
  const f = file(
    "a: yes\nb: y\nc: on\nd: 1e5\ne: 1.0e+5\nf: 010\ng: 0x1F\nh: 1:30\ni: ~\nj: 2.0\nk: .5\nl: NO\nm: 1_000\n",
  );
  const { value, floats } = readPyYaml(f);
  // PyYAML 6 (yaml.safe_load) gives these, checked with Python.
  assert.deepEqual(value, {
    a: true,
    b: "y",
    c: true,
    d: "1e5",
    e: 100000,
    f: 8,
    g: 31,
    h: 90,
    i: null,
    j: 2,
    k: 0.5,
    l: false,
    m: 1000,
  });
  assert.deepEqual([...floats].sort(), ["e", "j"]);
});

test("a duplicate key keeps its last value, with a warning naming both lines", () => {
  const { value, warnings } = readPyYaml(file("task: a\nnum_fewshot: 1\nnum_fewshot: 3\n"));
  assert.deepEqual(value, { task: "a", num_fewshot: 3 });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]?.message ?? "", /duplicate key 'num_fewshot' \(first on line 2\)/);
  assert.equal(warnings[0]?.line, 3);
});

test("!function tags become references with their file and line", () => {
  const f = file("task: a\nprocess_docs: !function utils.process_docs\nmetric_list:\n  - metric: !function m.x.f\n");
  const v = readPyYaml(f).value as Record<string, unknown>;
  const ref = v.process_docs as FunctionRef;
  assert.ok(ref instanceof FunctionRef);
  assert.equal(ref.module, "utils");
  assert.equal(ref.name, "process_docs");
  assert.equal(ref.line, 2);
  assert.equal(ref.file, f);
  const m = (v.metric_list as Array<{ metric: FunctionRef }>)[0]?.metric;
  assert.equal(m?.module, "m.x");
  assert.equal(m?.line, 4);
});

test("a quoted scalar whose continuation lines are not indented reads as PyYAML reads it", () => {
  // As in lm-eval's acpbench and evalita files: PyYAML accepts this, the YAML spec does not.
  const f = file(`doc_to_choice: '{{[a+", yes",\nb+", no"]}}'\nlist:\n  - q: "one\ntwo"\n`);
  assert.deepEqual(readPyYaml(f).value, { doc_to_choice: '{{[a+", yes", b+", no"]}}', list: [{ q: "one two" }] });
});

test("YAML PyYAML refuses is an error with file and line", () => {
  assert.throws(() => readPyYaml(file("task: a\n  b: [\n")), /t\.yaml, line \d+: invalid YAML/);
});
