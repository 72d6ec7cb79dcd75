import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import Bunzip from "seek-bzip";
import { hookOracle } from "../../../../test/support/hook-oracle.ts";
import { pyReprList } from "../../../../test/support/py-repr.ts";
import { pythonOrSkip, runPython, sharedData } from "../../../../test/support/python-oracle.ts";
import { PythonRandom } from "../../../core/python-random.ts";
import type { Doc, HookFunction } from "../types.ts";
import { gpqaGenerative, gpqaLeaderboard, gpqaZeroshot, processDocs } from "./gpqa.ts";
import { mmluProLeaderboard } from "./mmlu-pro.ts";
import { musr } from "./musr.ts";

function perDoc(h: HookFunction | undefined): (doc: Doc) => unknown {
  assert.ok(h && (h.kind === "doc_to_text" || h.kind === "doc_to_choice" || h.kind === "doc_to_target"));
  return h.fn as (doc: Doc) => unknown;
}

function musrDocs(): Doc[] {
  const docs: Doc[] = [];
  for (const f of ["small_murder_mystery.json", "small_object_placements.json", "small_team_allocation.json"]) {
    const items = JSON.parse(readFileSync(sharedData(`musr/${f}`), "utf8")) as Array<{
      context: string;
      questions: Array<{ question: string; choices: string[] }>;
    }>;
    for (const it of items) {
      for (const q of it.questions)
        docs.push({ narrative: it.context, question: q.question, choices: pyReprList(q.choices) });
    }
  }
  return docs;
}

test("musr doc_to_choice/doc_to_text: ast.literal_eval of the choices, numbered prompt (inline, from CPython)", () => {
  const doc = { narrative: "N.", question: "Who?", choices: "['Mack', \"O'Neil\", 'a\\\\nb']" };
  assert.deepEqual(perDoc(musr.functions.doc_to_choice)(doc), ["Mack", "O'Neil", "a\\nb"]);
  assert.equal(perDoc(musr.functions.doc_to_text)(doc), "N.\n\nWho?\n\n1 - Mack\n2 - O'Neil\n3 - a\\nb\n\nAnswer:");
});

test("musr equals lm-eval's leaderboard/musr/utils.py on the viewer subsets of the three domains", (t) => {
  const docs = musrDocs();
  assert.ok(docs.length >= 15);
  const py = pythonOrSkip(t);
  if (!py) return;
  // The choices text is what Python's repr() gives (HF's TAUR-Lab/MuSR stores it so).
  const reprs = runPython(
    py,
    "OUTPUT = [repr(c) for c in INPUT]",
    docs.map((d) => perDoc(musr.functions.doc_to_choice)(d) as string[]),
  ) as string[];
  assert.deepEqual(
    reprs,
    docs.map((d) => d.choices),
  );
  const oracle = hookOracle(t);
  if (!oracle) return;
  for (const name of ["doc_to_choice", "doc_to_text"] as const) {
    const expected = oracle.run("leaderboard/musr/utils.py", name, { kind: name, docs });
    assert.deepEqual(docs.map(perDoc(musr.functions[name])), expected, name);
  }
});

test("gpqa process_docs: the shuffle of Python's global random (inline, from CPython with random.seed(0))", () => {
  const ctx = { random: new PythonRandom(0) };
  const out = processDocs(
    [
      {
        Question: "q1",
        "Correct Answer": " 42 ",
        "Incorrect Answer 1": "41",
        "Incorrect Answer 2": "[x]43",
        "Incorrect Answer 3": null,
      },
      {
        Question: "q2",
        "Correct Answer": "same",
        "Incorrect Answer 1": "same",
        "Incorrect Answer 2": "b [title] c",
        "Incorrect Answer 3": "d  e",
      },
    ],
    ctx,
  );
  assert.deepEqual(
    out.map((d) => [d.choice1, d.choice2, d.choice3, d.choice4, d.answer]),
    [
      [" ", "41", "43", "42", "(D)"],
      ["same", "b. c", "same", "d e", "(A)"],
    ],
  );
});

test("gpqa process_docs equals lm-eval's on 300 generated documents, and leaves Python's random in the same state", (t) => {
  const r = new PythonRandom(8);
  const pick = () => r.choice(["A", "B", " [title] C", "[x]", "D  E", null, "same", " same ", "ζ", ""]);
  const docs: Doc[] = [];
  for (let i = 0; i < 300; i++) {
    docs.push({
      Question: `q${i}`,
      "Correct Answer": pick(),
      "Incorrect Answer 1": pick(),
      "Incorrect Answer 2": pick(),
      "Incorrect Answer 3": pick(),
    });
  }
  const oracle = hookOracle(t);
  for (const [rel, mod] of [
    ["leaderboard/gpqa/utils.py", gpqaLeaderboard],
    ["gpqa/zeroshot/utils.py", gpqaZeroshot],
    ["gpqa/generative/utils.py", gpqaGenerative],
  ] as const) {
    const h = mod.functions.process_docs;
    assert.ok(h?.kind === "process_docs");
    const ctx = { random: new PythonRandom(0) };
    const native = h.fn(docs, ctx);
    if (!oracle) continue;
    const a = oracle.answer(rel, "process_docs", {
      kind: "process_docs",
      docs,
      randomState: new PythonRandom(0).getState(),
    });
    assert.deepEqual(native, a.value, rel);
    assert.deepEqual(ctx.random.getState(), a.randomState, `${rel}: both drew the same numbers from random`);
  }
});

test("mmlu_pro doc_to_text/doc_to_choice equal lm-eval's leaderboard/mmlu_pro/utils.py on 2,000 MMLU-Pro questions", (t) => {
  const doc = { question: "Q?", options: ["x", "y", 3] };
  assert.equal(perDoc(mmluProLeaderboard.functions.doc_to_text)(doc), "Q?\nA. x\nB. y\nC. 3\nAnswer:");
  assert.deepEqual(perDoc(mmluProLeaderboard.functions.doc_to_choice)(doc), ["A", "B", "C"]);
  const text = Bunzip.decode(readFileSync(sharedData("mmlu_pro/test.J.jsonl.bz2"))).toString("utf8");
  const docs = text
    .trim()
    .split("\n")
    .slice(0, 2000)
    .map((l) => JSON.parse(l) as Doc);
  const oracle = hookOracle(t);
  if (!oracle) return;
  for (const name of ["doc_to_text", "doc_to_choice"] as const) {
    const expected = oracle.run("leaderboard/mmlu_pro/utils.py", name, { kind: name, docs });
    assert.deepEqual(docs.map(perDoc(mmluProLeaderboard.functions[name])), expected, name);
  }
});
