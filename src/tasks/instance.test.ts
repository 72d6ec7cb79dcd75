import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChatMessage } from "../backends/types.ts";
import { TaskPrompter } from "./instance.ts";
import type { LoadedTask } from "./loader.ts";
import type { TaskConfig } from "./schema.ts";

function task(cfg: TaskConfig): LoadedTask {
  return {
    kind: "task",
    name: cfg.task,
    file: "t.yaml",
    config: cfg,
    hash: "h",
    tags: [],
    categories: [],
    floats: new Set(),
    hooks: new Map(),
  };
}

const CFG: TaskConfig = {
  task: "t",
  output_type: "multiple_choice",
  description: "Answer the questions.\n\n",
  doc_to_text: "Q: {{q}}\nA:",
  doc_to_choice: "options",
  doc_to_target: "gold",
  num_fewshot: 2,
  fewshot_split: "train",
  fewshot_config: { sampler: "first_n" },
};
const POOL = [
  { q: "one", options: ["x", "y"], gold: 0 },
  { q: "two", options: ["x", "y"], gold: 1 },
  { q: "three", options: ["x", "y"], gold: 0 },
];
const DOC = { q: "four", options: ["left", "right"], gold: 1 };
const FEATURES = new Set(["q", "options", "gold"]);
const PLAIN = { chatTemplate: false, fewshotAsMultiturn: false, seed: 1234 };

test("plain prompts: description, examples joined by the delimiters, then the question", async () => {
  const p = new TaskPrompter(task(CFG), PLAIN, POOL, FEATURES, "train");
  const inst = await p.instance(DOC, 0);
  assert.deepEqual(inst.gold, [1]);
  assert.equal(inst.target, 1);
  const context = "Answer the questions.\n\nQ: one\nA: x\n\nQ: two\nA: y\n\nQ: four\nA:";
  assert.deepEqual(inst.requests, [
    { kind: "loglikelihood", context, continuation: " left" },
    { kind: "loglikelihood", context, continuation: " right" },
  ]);
});

test("chat prompts: system prompt and description joined as lm-eval joins them; few-shot as turns or one block", async () => {
  const seen: ChatMessage[][] = [];
  const render = async (m: ChatMessage[]) => {
    seen.push(m);
    return `${m.map((x) => `<${x.role}>${x.content}`).join("")}<assistant>`;
  };
  const multi = new TaskPrompter(
    task(CFG),
    { chatTemplate: true, systemPrompt: "Be brief.", fewshotAsMultiturn: true, seed: 1 },
    POOL,
    FEATURES,
    "train",
    render,
  );
  const a = await multi.instance(DOC, 0);
  assert.deepEqual(seen[0], [
    { role: "system", content: "Be brief.\n\nAnswer the questions.\n\n" },
    { role: "user", content: "Q: one\nA:" },
    { role: "assistant", content: "x" },
    { role: "user", content: "Q: two\nA:" },
    { role: "assistant", content: "y" },
    { role: "user", content: "Q: four\nA:" },
  ]);
  assert.equal(a.requests[0]?.kind === "loglikelihood" && a.requests[0].continuation, "left");
  const block = new TaskPrompter(
    task(CFG),
    { chatTemplate: true, fewshotAsMultiturn: false, seed: 1 },
    POOL,
    FEATURES,
    "train",
    render,
  );
  await block.instance(DOC, 0);
  assert.deepEqual(seen[1], [
    { role: "system", content: "Answer the questions.\n\n" },
    { role: "user", content: "Q: one\nA: x\n\nQ: two\nA: y\n\nQ: four\nA:" },
  ]);
});

test("sampling is one random.Random(seed) stream per task, consumed in document order", async () => {
  const cfg: TaskConfig = { ...CFG, description: "", num_fewshot: 3, fewshot_config: { sampler: "default" } };
  const pool = Array.from({ length: 20 }, (_, i) => ({ q: `q${i}`, options: ["x", "y"], gold: 0 }));
  const picks = async (seed: number, docs: number) => {
    const p = new TaskPrompter(task(cfg), { ...PLAIN, seed }, pool, FEATURES, "train");
    const out: number[][] = [];
    for (let d = 0; d < docs; d++) {
      const r = (await p.instance({ q: `doc${d}`, options: ["x", "y"], gold: 0 }, d)).requests[0];
      const ctx = r?.kind === "loglikelihood" ? r.context : "";
      out.push([...ctx.matchAll(/Q: q(\d+)/g)].map((m) => Number(m[1])));
    }
    return out;
  };
  // Python: r = random.Random(1234); [r.sample(range(20), 3) for _ in range(3)]
  assert.deepEqual(await picks(1234, 3), [
    [14, 3, 0],
    [2, 18, 1],
    [2, 3, 11],
  ]);
  assert.deepEqual(await picks(7, 2), [
    [10, 4, 12],
    [1, 2, 17],
  ]);
});

test("when the few-shot split is the evaluated one, k+1 are drawn and the document itself is dropped", async () => {
  // lm-eval compares fewshot_config.split with test_split; with neither set (winogrande) the test is true.
  const cfg: TaskConfig = { ...CFG, description: "", num_fewshot: 3, fewshot_split: null, fewshot_config: {} };
  const pool = Array.from({ length: 20 }, (_, i) => ({ q: `q${i}`, options: ["x", "y"], gold: 0 }));
  const p = new TaskPrompter(task(cfg), PLAIN, pool, FEATURES, null);
  // random.Random(1234).sample(range(20), 4) == [14, 3, 0, 2]: document 3 is drawn and dropped.
  const r = (await p.instance(pool[3] as (typeof pool)[number], 3)).requests[0];
  const ctx = r?.kind === "loglikelihood" ? r.context : "";
  assert.deepEqual(
    [...ctx.matchAll(/Q: q(\d+)\nA: x/g)].map((m) => Number(m[1])),
    [14, 0, 2],
  );
});

test("lm-eval's --num_fewshot does not override a task that fixes 0 shots", () => {
  const p = new TaskPrompter(task({ ...CFG, num_fewshot: 0 }), { ...PLAIN, numFewshot: 5 }, POOL, FEATURES, "train");
  assert.equal(p.numFewshot, 0);
  assert.equal(new TaskPrompter(task(CFG), { ...PLAIN, numFewshot: 1 }, POOL, FEATURES, "train").numFewshot, 1);
});

test("generation: gen_prefix after the question, lm-eval's generation arguments, a description without newline", async () => {
  const cfg: TaskConfig = {
    task: "g",
    output_type: "generate_until",
    description: "Solve.",
    doc_to_text: "Q: {{q}}",
    doc_to_target: "{{a}}",
    gen_prefix: "Answer:",
    generation_kwargs: { until: ["\n"], temperature: 0 },
    num_fewshot: 1,
    fewshot_split: "train",
  };
  const p = new TaskPrompter(task(cfg), PLAIN, [{ q: "1+1", a: "2" }], new Set(["q", "a"]), "train");
  const inst = await p.instance({ q: "2+2", a: "4" }, 0);
  const r = inst.requests[0];
  assert.equal(r?.kind === "generate" && r.prompt, "Solve.Q: 1+1 Answer: 2\n\nQ: 2+2 Answer:");
  assert.deepEqual(JSON.parse(JSON.stringify(inst.genKwargs)), { until: ["\n"], temperature: 0 });
  assert.equal(r?.kind === "generate" && r.params.maxTokens, 256);
});
