import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { ModelmapError } from "../core/errors.ts";
import { sha256Hex } from "./hooks/registry.ts";
import type { HookModule } from "./hooks/types.ts";
import { loadTaskFile, TaskRegistry } from "./loader.ts";

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), "mm-tasks-"));
  for (const [n, t] of Object.entries(files)) {
    mkdirSync(dirname(join(d, n)), { recursive: true });
    writeFileSync(join(d, n), t);
  }
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

test("a wrong type and an unsupported generation option name their field; num_beams names the task", () => {
  const d = dir({
    "a.yaml": `${BASE}generation_kwargs:\n  until: ["\\n"]\n  num_beams: 5\n`,
    "b.yaml": `${BASE}num_fewshot: five\n`,
  });
  const a = errorOf(() => loadTaskFile(join(d, "a.yaml")));
  assert.equal(a.location?.field, "generation_kwargs.num_beams");
  assert.equal(a.location?.line, 7);
  assert.match(a.message, /task 't1': generation option 'num_beams' is not supported/);
  const b = errorOf(() => loadTaskFile(join(d, "b.yaml")));
  assert.equal(b.location?.field, "num_fewshot");
  assert.equal(b.location?.line, 5);
});

test("!function: an unknown hook names file, line and function and says how to run it; a registered one binds", () => {
  const utils = "def choices(doc):\n    return [doc['a'], doc['b']]\n";
  const d = dir({
    "f.yaml": `${BASE}doc_to_choice: !function utils.choices\n`,
    "utils.py": utils,
    "g.yaml": `${BASE.replace("t1", "t2")}doc_to_choice: !function nowhere.choices\n`,
  });
  const e = errorOf(() => loadTaskFile(join(d, "f.yaml")));
  assert.equal(e.code, "unsupported");
  assert.equal(e.location?.line, 5);
  assert.equal(e.location?.field, "doc_to_choice");
  assert.match(e.message, /hook '!function utils\.choices' is not implemented: no native version of utils\.py/);
  assert.match(e.hint ?? "", /--python-hooks/);
  assert.match(errorOf(() => loadTaskFile(join(d, "g.yaml"))).message, /module file nowhere\.py does not exist/);

  const module: HookModule = {
    path: "test/utils.py",
    sha256: [sha256Hex(utils)],
    functions: { choices: { kind: "doc_to_choice", fn: (doc) => [String(doc.a), String(doc.b)] } },
  };
  const t = loadTaskFile(join(d, "f.yaml"), { hookModules: [module] });
  assert.equal(t.kind, "task");
  if (t.kind === "task") assert.equal([...t.hooks.values()][0]?.fn.kind, "doc_to_choice");
  // An edited utils.py has another hash: refused rather than run as something else.
  writeFileSync(join(d, "utils.py"), `${utils}# edited\n`);
  const edited = TaskRegistry.load([d], { hookModules: [module] });
  assert.match(edited.problems.find((p) => p.name === "t1")?.error.message ?? "", /no native version of utils\.py/);
  // The wrong kind of hook for a field is an error too.
  const wrong: HookModule = { ...module, functions: { choices: { kind: "doc_to_text", fn: () => "" } } };
  writeFileSync(join(d, "utils.py"), utils);
  assert.match(errorOf(() => loadTaskFile(join(d, "f.yaml"), { hookModules: [wrong] })).message, /doc_to_text hook/);
});

test("!function modelmap.PATH.FN names a native hook directly (modelmap's own tasks ship no Python)", () => {
  const utils = "def choices(doc):\n    return [doc['a'], doc['b']]\n";
  const module: HookModule = {
    path: "test/choices/utils.py",
    sha256: [sha256Hex(utils)],
    functions: { choices: { kind: "doc_to_choice", fn: (doc) => [String(doc.a), String(doc.b)] } },
  };
  const d = dir({
    "f.yaml": `${BASE}doc_to_choice: !function modelmap.test.choices.utils.choices\n`,
    "g.yaml": `${BASE.replace("t1", "t2")}doc_to_choice: !function modelmap.test.choices.utils.missing\n`,
    "h.yaml": `${BASE.replace("t1", "t3")}doc_to_text: !function modelmap.test.choices.utils.choices\n`,
    "i.yaml": `${BASE.replace("t1", "t4")}doc_to_choice: !function modelmap.nowhere.utils.choices\n`,
  });
  const t = loadTaskFile(join(d, "f.yaml"), { hookModules: [module] });
  assert.ok(t.kind === "task");
  const bound = [...t.hooks.values()][0];
  assert.equal(bound?.fn.kind, "doc_to_choice");
  // The task's hash takes the hash of the lm-eval file the native code stands for.
  assert.equal(bound?.moduleSha256, sha256Hex(utils));
  const missing = errorOf(() => loadTaskFile(join(d, "g.yaml"), { hookModules: [module] }));
  assert.equal(missing.code, "unsupported");
  assert.equal(missing.location?.line, 5);
  assert.match(missing.message, /test\/choices\/utils\.py has no 'missing' \(it has choices\)/);
  assert.match(errorOf(() => loadTaskFile(join(d, "h.yaml"), { hookModules: [module] })).message, /doc_to_choice hook/);
  assert.match(
    errorOf(() => loadTaskFile(join(d, "i.yaml"), { hookModules: [module] })).message,
    /not implemented: no native nowhere\/utils\.py/,
  );
});

test("--python-hooks binds a hook without a native version to python3 (opt-in)", (t) => {
  if (spawnSync("python3", ["--version"]).status !== 0) return t.skip("python3 is not installed");
  const d = dir({
    "f.yaml": `${BASE}doc_to_choice: !function utils.choices\n`,
    "utils.py": "def choices(doc):\n    return [doc['a'].upper(), doc['b']]\n",
  });
  assert.equal(errorOf(() => loadTaskFile(join(d, "f.yaml"))).code, "unsupported");
  const task = loadTaskFile(join(d, "f.yaml"), { pythonHooks: { env: process.env } });
  assert.equal(task.kind, "task");
  const bound = task.kind === "task" ? [...task.hooks.values()][0] : undefined;
  assert.ok(bound?.python, "bound to python3");
  assert.equal(bound?.fn.kind, "doc_to_choice");
  if (bound?.fn.kind === "doc_to_choice") assert.deepEqual(bound.fn.fn({ a: "x", b: "y" }), ["X", "y"]);
});

test("include merges templates in order (also a list); the including file wins; errors point into the included file", () => {
  const d = dir({
    "_tmpl.yaml": "output_type: multiple_choice\nnum_fewshot: 3\ndoc_to_text: q\ntask_list: [x]\n",
    _more: "description: 'D: '\nnum_fewshot: 4\n",
    "t.yaml": "include: [_tmpl.yaml, _more]\ntask: t2\ndata_files: x.jsonl\n",
    "u.yaml": "include: _tmpl.yaml\ntask: t4\nnum_fewshot: 1\ndata_files: x.jsonl\n",
    "_bad.yaml": "output_type: multiple_choice\nbogus: 1\n",
    "v.yaml": "include: _bad.yaml\ntask: t3\ndata_files: x.jsonl\n",
  });
  const t = loadTaskFile(join(d, "t.yaml"));
  assert.equal(t.kind === "task" && t.config.num_fewshot, 4);
  assert.equal(t.kind === "task" && t.config.description, "D: ");
  const u = loadTaskFile(join(d, "u.yaml"));
  assert.equal(u.kind === "task" && u.config.num_fewshot, 1);
  const e = errorOf(() => loadTaskFile(join(d, "v.yaml")));
  assert.match(e.location?.file ?? "", /_bad\.yaml$/);
  assert.equal(e.location?.line, 2);
});

test("groups, tags and nested groups resolve as lm-eval's TaskManager resolves them", () => {
  const d = dir({
    "b.yaml": "task: b\ntag: fam\noutput_type: generate_until\ndata_files: x.jsonl\nnum_fewshot: 0\n",
    "a.yaml": "task: a\ntag: [fam]\noutput_type: generate_until\ndata_files: x.jsonl\n",
    "_g.yaml": "group: g\ntask: [fam]\n",
    "sub/_outer.yaml":
      "group: outer\ngroup_alias: Outer\ntask:\n  - g\n  - task: a\n    num_fewshot: 2\n  - group: inner\n    task: [b]\n    num_fewshot: 1\naggregate_metric_list: [{metric: acc, weight_by_size: true}]\n",
  });
  const reg = TaskRegistry.load([d]);
  assert.deepEqual(reg.problems, []);
  // A tag expands to its tasks in name order; a `_`-named group file is a group like any other.
  assert.deepEqual(
    reg.resolve(["g"]).tasks.map((t) => t.name),
    ["a", "b"],
  );
  assert.deepEqual(reg.resolve(["g"]).groups, [{ name: "g", tasks: ["a", "b"] }]);
  const outer = reg.resolve(["outer"]);
  assert.deepEqual(
    outer.groups.map((g) => g.name),
    ["g", "outer::inner", "outer"],
  );
  // A member given as a dict carries overrides; an inline group's other keys override its members.
  assert.equal(outer.tasks.find((t) => t.name === "a")?.config.num_fewshot, undefined);
  assert.deepEqual(
    outer.tasks.map((t) => t.name),
    ["a", "b"],
  );
  const direct = reg.resolve(["b", "a", "b"]);
  assert.deepEqual(
    direct.tasks.map((t) => t.name),
    ["b", "a"],
  );
  assert.equal(errorOf(() => reg.resolve(["nope"])).code, "not_found");
});

test("a broken file is reported and the rest of the tree loads; naming it (or its tag) says why", () => {
  const d = dir({
    "ok.yaml": "task: ok\noutput_type: generate_until\ndata_files: x.jsonl\n",
    "bad.yaml": "task: bad\ntag: badfam\noutput_type: generate_until\ndata_files: x.jsonl\nnum_fewshot: [\n",
    "worse.yaml": "task: worse\ntag: badfam\noutput_type: generate_until\ndoc_to_txt: q\n",
    "dup.yaml": "task: ok2\nnum_fewshot: 1\nnum_fewshot: 2\n",
    "tmpl.yaml": "output_type: generate_until\n",
  });
  const reg = TaskRegistry.load([d]);
  assert.deepEqual([...reg.tasks.keys()].sort(), ["ok", "ok2"]);
  assert.equal(reg.problems.length, 2);
  assert.deepEqual(reg.files.map((f) => f.kind).sort(), ["refused", "refused", "task", "task", "template"]);
  assert.match(errorOf(() => reg.resolve(["worse"])).message, /worse\.yaml, line 4, field 'doc_to_txt': unknown key/);
  assert.match(errorOf(() => reg.resolve(["badfam"])).message, /invalid YAML|unknown key/);
  assert.ok(reg.notices.some((n) => /duplicate key 'num_fewshot'/.test(n)));
});

test("a user task named like a built-in one wins, with a notice", () => {
  const builtin = dir({
    "t.yaml": "task: same\noutput_type: generate_until\ndata_files: x.jsonl\ndescription: built-in\n",
  });
  const user = dir({ "t.yaml": "task: same\noutput_type: generate_until\ndata_files: x.jsonl\ndescription: mine\n" });
  const reg = TaskRegistry.load([builtin, user]);
  assert.equal(reg.tasks.get("same")?.config.description, "mine");
  assert.ok(reg.notices.some((n) => n.includes("'same' from") && n.includes("overrides")));
});

test("every shipped task file validates", () => {
  const reg = TaskRegistry.load([join(import.meta.dirname, "..", "..", "tasks")]);
  assert.deepEqual(
    reg.problems.map((p) => p.error.message),
    [],
  );
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

test("an lm-evaluation-harness task YAML loads unchanged", () => {
  // arc_easy.yaml as lm-evaluation-harness ships it.
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
`,
  });
  const t = loadTaskFile(join(d, "arc_easy.yaml"));
  assert.equal(t.kind, "task");
  assert.equal(t.name, "arc_easy");
  assert.deepEqual(t.kind === "task" ? t.tags : [], ["ai2_arc"]);
});
