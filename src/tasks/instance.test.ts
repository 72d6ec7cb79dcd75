import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChatMessage } from "../backends/types.ts";
import { TaskPrompter } from "./instance.ts";
import type { TaskConfig } from "./schema.ts";

const CFG: TaskConfig = {
  task: "t",
  output_type: "multiple_choice",
  description: "Answer the questions.\n\n",
  doc_to_text: "Q: {{q}}\nA:",
  doc_to_choice: "options",
  doc_to_target: "gold",
  num_fewshot: 2,
  fewshot_config: { sampler: "first_n" },
};
const POOL = [
  { q: "one", options: ["x", "y"], gold: 0 },
  { q: "two", options: ["x", "y"], gold: 1 },
  { q: "three", options: ["x", "y"], gold: 0 },
];
const DOC = { q: "four", options: ["left", "right"], gold: 1 };

test("plain prompts: description, examples joined by the delimiters, then the question", async () => {
  const p = new TaskPrompter(CFG, { chatTemplate: false, fewshotAsMultiturn: false, seed: 1 }, POOL, false);
  const inst = await p.instance(DOC, 0);
  assert.deepEqual(inst.gold, [1]);
  assert.deepEqual(inst.requests, [
    {
      kind: "loglikelihood",
      context: "Answer the questions.\n\nQ: one\nA: x\n\nQ: two\nA: y\n\nQ: four\nA:",
      continuation: " left",
    },
    {
      kind: "loglikelihood",
      context: "Answer the questions.\n\nQ: one\nA: x\n\nQ: two\nA: y\n\nQ: four\nA:",
      continuation: " right",
    },
  ]);
});

test("chat prompts: system prompt + description, few-shot as turns or as one block, no delimiter before the answer", async () => {
  const seen: ChatMessage[][] = [];
  const render = async (m: ChatMessage[]) => {
    seen.push(m);
    return m.map((x) => `<${x.role}>${x.content}`).join("") + "<assistant>";
  };
  const multi = new TaskPrompter(
    CFG,
    { chatTemplate: true, systemPrompt: "Be brief.", fewshotAsMultiturn: true, seed: 1 },
    POOL,
    false,
    render,
  );
  const a = await multi.instance(DOC, 0);
  assert.deepEqual(seen[0], [
    { role: "system", content: "Be brief.\n\nAnswer the questions." },
    { role: "user", content: "Q: one\nA:" },
    { role: "assistant", content: "x" },
    { role: "user", content: "Q: two\nA:" },
    { role: "assistant", content: "y" },
    { role: "user", content: "Q: four\nA:" },
  ]);
  assert.equal(a.requests[0]?.kind === "loglikelihood" && a.requests[0].continuation, "left");
  const block = new TaskPrompter(CFG, { chatTemplate: true, fewshotAsMultiturn: false, seed: 1 }, POOL, false, render);
  await block.instance(DOC, 0);
  assert.deepEqual(seen[1], [
    { role: "system", content: "Answer the questions." },
    { role: "user", content: "Q: one\nA: x\n\nQ: two\nA: y\n\nQ: four\nA:" },
  ]);
});

test("seeded sampling is per document: same seed same examples, never the document itself", async () => {
  const cfg = { ...CFG, fewshot_config: { sampler: "default" as const } };
  const pool = Array.from({ length: 20 }, (_, i) => ({ q: `q${i}`, options: ["x", "y"], gold: 0 }));
  const ctx = async (seed: number, docId: number) => {
    const p = new TaskPrompter(cfg, { chatTemplate: false, fewshotAsMultiturn: false, seed }, pool, true);
    const r = (await p.instance(pool[docId] as (typeof pool)[number], docId)).requests[0];
    return r?.kind === "loglikelihood" ? r.context : "";
  };
  assert.equal(await ctx(7, 3), await ctx(7, 3));
  assert.notEqual(await ctx(7, 3), await ctx(8, 3));
  for (let d = 0; d < 20; d++)
    assert.ok(!(await ctx(7, d)).includes(`Q: q${d}\nA: x`), `doc ${d} is not its own example`);
});
