import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ModelmapError } from "../core/errors.ts";
import { loadTaskFile, TaskRegistry } from "./loader.ts";

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), "mm-tasks-"));
  for (const [n, t] of Object.entries(files)) writeFileSync(join(d, n), t);
  return d;
}

const BASE = "task: t1\noutput_type: multiple_choice\ndata_files: x.jsonl\ndoc_to_text: q\n";

function errorOf(fn: () => unknown): ModelmapError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ModelmapError, String(e));
    return e;
  }
  assert.fail("expected an error");
}

test("an unknown key is rejected with file, line and field", () => {
  const d = dir({ "t.yaml": `${BASE}num_fewshots: 5\n` });
  const e = errorOf(() => loadTaskFile(join(d, "t.yaml")));
  assert.equal(e.code, "input");
  assert.equal(e.location?.line, 5);
  assert.equal(e.location?.field, "num_fewshots");
  assert.match(e.message, /t\.yaml, line 5, field 'num_fewshots': unknown key/);
});

test("a nested unknown key and a wrong type name their field", () => {
  const d = dir({
    "a.yaml": `${BASE}generation_kwargs:\n  until: ["\\n"]\n  max_new_tokens: 5\n`,
    "b.yaml": `${BASE}num_fewshot: five\n`,
  });
  const a = errorOf(() => loadTaskFile(join(d, "a.yaml")));
  assert.equal(a.location?.field, "generation_kwargs.max_new_tokens");
  assert.equal(a.location?.line, 7);
  const b = errorOf(() => loadTaskFile(join(d, "b.yaml")));
  assert.equal(b.location?.field, "num_fewshot");
  assert.equal(b.location?.line, 5);
});

test("!function hooks and process_docs are refused with a clear message", () => {
  const d = dir({
    "f.yaml": `${BASE}doc_to_choice: !function utils.choices\n`,
    "p.yaml": `${BASE}process_docs: utils.process\n`,
  });
  const f = errorOf(() => loadTaskFile(join(d, "f.yaml")));
  assert.match(f.message, /'!function' hooks run Python code/);
  assert.equal(f.location?.line, 5);
  const p = errorOf(() => loadTaskFile(join(d, "p.yaml")));
  assert.match(p.message, /process_docs.*not supported/);
});

test("include merges a template; the including file wins; errors point into the included file", () => {
  const d = dir({
    "_tmpl.yaml": "output_type: multiple_choice\nnum_fewshot: 3\ndoc_to_text: q\n",
    "t.yaml": "include: _tmpl.yaml\ntask: t2\nnum_fewshot: 1\ndata_files: x.jsonl\n",
    "_bad.yaml": "output_type: multiple_choice\nbogus: 1\n",
    "u.yaml": "include: _bad.yaml\ntask: t3\ndata_files: x.jsonl\n",
  });
  const t = loadTaskFile(join(d, "t.yaml"));
  assert.equal(t.kind, "task");
  if (t.kind === "task") {
    assert.equal(t.config.num_fewshot, 1);
    assert.equal(t.config.doc_to_text, "q");
  }
  const e = errorOf(() => loadTaskFile(join(d, "u.yaml")));
  assert.match(e.location?.file ?? "", /_bad\.yaml$/);
  assert.equal(e.location?.line, 2);
});

test("the registry resolves tasks, groups and tags, and rejects unknown names", () => {
  const d = dir({
    "a.yaml": "task: a\ntag: [fam]\noutput_type: generate_until\ndata_files: x.jsonl\n",
    "b.yaml": "task: b\ntag: fam\noutput_type: generate_until\ndata_files: x.jsonl\n",
    "g.yaml": "group: g\ntask: [fam]\n",
  });
  const reg = TaskRegistry.load([d]);
  assert.deepEqual(
    reg.resolve(["g"]).tasks.map((t) => t.name),
    ["a", "b"],
  );
  assert.deepEqual(reg.resolve(["g"]).groups, [{ name: "g", tasks: ["a", "b"] }]);
  assert.deepEqual(
    reg.resolve(["b", "a", "b"]).tasks.map((t) => t.name),
    ["b", "a"],
  );
  assert.equal(errorOf(() => reg.resolve(["nope"])).code, "not_found");
});

test("every shipped task file validates", () => {
  const reg = TaskRegistry.load([join(import.meta.dirname, "..", "..", "tasks")]);
  for (const name of [
    "arc_challenge",
    "arc_easy",
    "hellaswag",
    "piqa",
    "winogrande",
    "truthfulqa_mc1",
    "truthfulqa_mc2",
    "gsm8k",
  ])
    assert.ok(reg.tasks.has(name), name);
  assert.equal(reg.resolve(["mmlu"]).tasks.length, 57);
  assert.equal(reg.resolve(["bbh"]).tasks.length, 27);
});

test("an lm-evaluation-harness task YAML loads unchanged once it names local files", () => {
  // arc_easy.yaml as lm-evaluation-harness ships it (v0.4), plus data_files.
  const d = dir({
    "arc_easy.yaml": `tag:
  - ai2_arc
task: arc_easy
dataset_path: allenai/ai2_arc
dataset_name: ARC-Easy
output_type: multiple_choice
training_split: train
validation_split: validation
test_split: test
doc_to_text: "Question: {{question}}\\nAnswer:"
doc_to_target: "{{choices.label.index(answerKey)}}"
doc_to_choice: "{{choices.text}}"
should_decontaminate: true
doc_to_decontamination_query: "Question: {{question}}\\nAnswer:"
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
  - metric: acc_norm
    aggregation: mean
    higher_is_better: true
metadata:
  version: 1.0
dataset_kwargs:
  trust_remote_code: true
  data_files: { test: test.jsonl }
`,
  });
  const t = loadTaskFile(join(d, "arc_easy.yaml"));
  assert.equal(t.kind, "task");
  assert.equal(t.name, "arc_easy");
  assert.deepEqual(t.kind === "task" ? t.tags : [], ["ai2_arc"]);
});
