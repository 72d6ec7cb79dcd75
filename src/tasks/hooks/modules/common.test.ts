import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { hookOracle, treeModule } from "../../../../test/support/hook-oracle.ts";
import { findPython, pythonHasModule, sharedData } from "../../../../test/support/python-oracle.ts";
import { PythonRandom } from "../../../core/python-random.ts";
import { parseCsv } from "../../dataset.ts";
import type { Doc, HookFunction } from "../types.ts";
import { hellaswag } from "./hellaswag.ts";
import { processResultsGen, processResultsMc2, truthfulqa } from "./truthfulqa.ts";
import { winogrande } from "./winogrande.ts";

function fn<K extends HookFunction["kind"]>(h: HookFunction | undefined, kind: K): Extract<HookFunction, { kind: K }> {
  assert.ok(h && h.kind === kind, `expected a ${kind} hook`);
  return h as Extract<HookFunction, { kind: K }>;
}

const processDocs = (m: typeof hellaswag, name: string) => fn(m.functions[name], "process_docs").fn;

/** Strings that exercise the WikiHow clean-up: tags, [title], runs of spaces, newlines, \r, Unicode. */
function messy(r: PythonRandom): string {
  const parts = [
    "[title]",
    " [title] ",
    "[header]",
    "[step]",
    "[",
    "]",
    "  ",
    " ",
    "\n",
    "\r",
    "a",
    "Word",
    "ß",
    "ǆ",
    "É",
    "x.",
    "[a\nb]",
    "  [sub] ",
    "\u00a0",
    "\u001c",
  ];
  let s = "";
  const n = r.randrange(0, 14);
  for (let i = 0; i < n; i++) s += r.choice(parts);
  return s;
}

test("hellaswag process_docs: lm-eval's preprocess quirks (inline values from CPython)", () => {
  const [out] = processDocs(
    hellaswag,
    "process_docs",
  )([
    {
      activity_label: "Making a cake",
      ctx_a: "A woman [header] stands in a kitchen.  ",
      ctx_b: "SHE mixes [title] flour and eggs",
      endings: [" then bakes it [step]  for an hour. ", "[title] Pour the batter  in. "],
      label: "1",
    },
  ]);
  assert.equal(out?.query, "Making a cake: A woman stands in a kitchen.  She mixes. flour and eggs");
  assert.deepEqual(out?.choices, ["then bakes it  for an hour.", " Pour the batter in."]);
  assert.equal(out?.gold, 1);
  assert.equal(out?.ctx_a, "A woman [header] stands in a kitchen.  ", "Dataset.map keeps the original columns");
});

test("hellaswag process_docs equals lm-eval's utils.py on 400 generated documents", (t) => {
  const oracle = hookOracle(t);
  const r = new PythonRandom(11);
  const docs: Doc[] = [];
  for (let i = 0; i < 400; i++) {
    docs.push({
      ind: i,
      activity_label: messy(r),
      ctx_a: messy(r),
      ctx_b: messy(r),
      endings: [messy(r), messy(r), messy(r), messy(r)],
      label: String(r.randrange(0, 4)),
    });
  }
  const native = processDocs(hellaswag, "process_docs")(docs);
  if (!oracle) return;
  for (const rel of ["hellaswag/utils.py", "tinyBenchmarks/utils_hellaswag.py"]) {
    assert.deepEqual(native, oracle.run(rel, "process_docs", { kind: "process_docs", docs }), rel);
  }
});

function winograndeDocs(): Doc[] {
  const lines = readFileSync(sharedData("nutcracker_mcq/winogrande_test.json"), "utf8").trim().split("\n");
  return lines.map((l) => {
    const d = JSON.parse(l) as { centerpiece: string; options: string[]; correct_options_idx: number[] };
    return {
      sentence: d.centerpiece,
      option1: d.options[0],
      option2: d.options[1],
      answer: String((d.correct_options_idx[0] as number) + 1),
    };
  });
}

test("winogrande doc_to_text/target/choice equal lm-eval's on all 1,267 validation sentences", (t) => {
  const f = winogrande.functions;
  const doc = {
    sentence: "The trophy did not fit in the suitcase because the _ was too big.",
    option1: "trophy",
    option2: "suitcase",
    answer: "1",
  };
  assert.equal(fn(f.doc_to_text, "doc_to_text").fn(doc), 0);
  assert.equal(fn(f.doc_to_target, "doc_to_target").fn(doc), "was too big.");
  assert.deepEqual(fn(f.doc_to_choice, "doc_to_choice").fn(doc), [
    "The trophy did not fit in the suitcase because the trophy",
    "The trophy did not fit in the suitcase because the suitcase",
  ]);
  assert.throws(() => fn(f.doc_to_target, "doc_to_target").fn({ sentence: "no blank" }), /has no '_'/);
  const docs = winograndeDocs();
  assert.equal(docs.length, 1267);
  const oracle = hookOracle(t);
  if (!oracle) return;
  for (const name of ["doc_to_text", "doc_to_target", "doc_to_choice"] as const) {
    const native = docs.map((d) => fn(f[name], name).fn(d));
    for (const rel of ["winogrande/preprocess_winogrande.py", "tinyBenchmarks/utils_winogrande.py"]) {
      assert.deepEqual(native, oracle.run(rel, name, { kind: name, docs }), `${rel} ${name}`);
    }
  }
});

function mc2Docs(): Array<{ doc: Doc; results: Array<[number, boolean]> }> {
  const raw = JSON.parse(readFileSync(sharedData("truthfulqa/mc_task.json"), "utf8")) as Array<{
    question: string;
    mc2_targets: Record<string, number>;
  }>;
  const r = new PythonRandom(3);
  return raw.map((q) => {
    const choices = Object.keys(q.mc2_targets);
    const results = choices.map((): [number, boolean] => [-(r.random() * 40), r.random() < 0.3]);
    return { doc: { question: q.question, mc2_targets: { choices, labels: Object.values(q.mc2_targets) } }, results };
  });
}

test("truthfulqa process_results_mc2 equals lm-eval's (numpy) on 790 questions with random log-likelihoods", (t) => {
  const v = processResultsMc2({ mc2_targets: { choices: ["a", "b", "c", "d"], labels: [1, 1, 0, 0] } }, [
    [-1.5, false],
    [-2.25, false],
    [-0.75, true],
    [-3.0, false],
  ]);
  assert.equal(v.acc, 0.3861948369286322);
  const items = mc2Docs();
  assert.equal(items.length, 790);
  const oracle = hookOracle(t, { importOnlyStubs: true, requires: ["numpy"] });
  if (!oracle) return;
  const expected = oracle.run("truthfulqa/utils.py", "process_results_mc2", {
    kind: "process_results",
    items,
  }) as Array<{ acc: number }>;
  items.forEach((it, i) => {
    const got = processResultsMc2(it.doc, it.results).acc;
    const exp = (expected[i] as { acc: number }).acc;
    // numpy's exp and V8's Math.exp may differ in the last bit; the sums are taken in numpy's order.
    assert.ok(Math.abs(got - exp) <= 1e-14 * Math.max(1, Math.abs(exp)), `question ${i}: ${got} vs ${exp}`);
  });
});

function generationDocs(): Doc[] {
  const rows = parseCsv(readFileSync(sharedData("truthfulqa/TruthfulQA.csv"), "utf8"));
  const [header, ...body] = rows;
  assert.ok(header);
  const col = (n: string) => header.indexOf(n);
  const split = (s: string) =>
    s
      .trim()
      .split(";")
      .map((x) => x.trim());
  return body
    .filter((r) => r.length === header.length)
    .map((r) => ({
      question: r[col("Question")] as string,
      correct_answers: split(r[col("Correct Answers")] as string),
      incorrect_answers: split(r[col("Incorrect Answers")] as string),
    }));
}

test("truthfulqa process_docs_gen equals lm-eval's on the 817 TruthfulQA questions", (t) => {
  const pd = processDocs(truthfulqa, "process_docs_gen");
  const [one] = pd([
    {
      question: "  Why?  ",
      correct_answers: ["Because", "It is so.", "  ", "I have no comment"],
      incorrect_answers: ["No reason "],
    },
  ]);
  assert.deepEqual(one, {
    question: "Why?",
    correct_answers: ["Because.", "It is so.", "I have no comment."],
    incorrect_answers: ["No reason."],
  });
  const docs = generationDocs();
  assert.ok(docs.length >= 790);
  const oracle = hookOracle(t, { importOnlyStubs: true, requires: ["numpy"] });
  if (!oracle) return;
  assert.deepEqual(pd(docs), oracle.run("truthfulqa/utils.py", "process_docs_gen", { kind: "process_docs", docs }));
});

test("truthfulqa process_results_gen (BLEU intl + ROUGE-1/2/Lsum) equals lm-eval's on 60 questions", (t) => {
  const ref = JSON.parse(
    readFileSync(
      join(import.meta.dirname, "..", "..", "..", "..", "fixtures", "lmeval-reference", "truthfulqa-gen.json"),
      "utf8",
    ),
  ) as Array<{ row: number; completion: string; out: Record<string, number> }>;
  const docs = processDocs(truthfulqa, "process_docs_gen")(generationDocs());
  for (const c of ref) {
    const got = processResultsGen(docs[c.row] as Doc, [c.completion]);
    assert.deepEqual(Object.keys(got), Object.keys(c.out));
    for (const [k, v] of Object.entries(c.out)) {
      assert.ok(
        Math.abs((got[k] as number) - v) <= 1e-12 * Math.max(1, Math.abs(v)),
        `row ${c.row} ${k}: ${got[k]} vs ${v}`,
      );
    }
  }
  // Live, when python3 has sacrebleu and rouge_score (lm-eval's own dependencies) installed.
  const py = findPython();
  if (!py || !pythonHasModule(py, "sacrebleu") || !pythonHasModule(py, "rouge_score")) {
    t.diagnostic("python3 lacks sacrebleu/rouge_score: compared with the recorded lm-eval outputs only");
    return;
  }
  const oracle = hookOracle(t);
  if (!oracle) return;
  const items = ref.map((c) => ({ doc: docs[c.row] as Doc, results: [c.completion] }));
  const expected = oracle.run("truthfulqa/utils.py", "process_results_gen", {
    kind: "process_results",
    items,
  }) as Array<Record<string, number>>;
  items.forEach((it, i) => {
    const got = processResultsGen(it.doc, it.results);
    for (const [k, v] of Object.entries(expected[i] as Record<string, number>)) {
      assert.ok(Math.abs((got[k] as number) - v) <= 1e-12 * Math.max(1, Math.abs(v)), `${i} ${k}`);
    }
  });
});

test("the modules are registered under the tree's files", () => {
  for (const rel of [
    "hellaswag/utils.py",
    "okapi/hellaswag_multilingual/utils.py",
    "winogrande/preprocess_winogrande.py",
    "truthfulqa/utils.py",
  ]) {
    assert.ok(treeModule(rel).module, rel);
  }
});
