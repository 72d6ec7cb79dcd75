import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ModelmapError } from "../core/errors.ts";
import { loadPromptSet, toJsonl } from "./load.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "mm-prompts-"));

function sharedData(rel: string): string {
  const p = join("..", "shared", "data", rel);
  assert.ok(existsSync(p), `shared data missing: ${p} (tests read real public data from ../shared/data)`);
  return p;
}

test("native JSONL with a set header loads, and round-trips through toJsonl", () => {
  const d = tmp();
  const f = join(d, "s.jsonl");
  writeFileSync(
    f,
    [
      JSON.stringify({ set: { name: "mine", secret: true, canary: "CANARY-0123456789abcdef" } }),
      JSON.stringify({ id: "a1", category: "math", turns: ["1+1?"], reference: "2" }),
      "",
      JSON.stringify({ id: "a2", category: "chat", turns: ["hi", "how are you?"], tags: ["x"] }),
    ].join("\n"),
  );
  const s = loadPromptSet(f);
  assert.equal(s.name, "mine");
  assert.equal(s.secret, true);
  assert.equal(s.items.length, 2);
  assert.deepEqual(s.items[1]?.turns, ["hi", "how are you?"]);
  const f2 = join(d, "t.jsonl");
  writeFileSync(f2, toJsonl(s));
  const s2 = loadPromptSet(f2);
  assert.deepEqual(s2.items, s.items);
  assert.equal(s2.contentHash, s.contentHash);
});

test("errors name file, line and field", () => {
  const d = tmp();
  const f = join(d, "bad.jsonl");
  writeFileSync(
    f,
    `${JSON.stringify({ id: "a", category: "math", turns: ["q"] })}\n${JSON.stringify({ id: "b", category: "math", turns: [] })}\n`,
  );
  assert.throws(
    () => loadPromptSet(f),
    (e: unknown) =>
      e instanceof ModelmapError && e.code === "input" && /bad\.jsonl, line 2, field 'turns'/.test(e.message),
  );
  writeFileSync(f, `${JSON.stringify({ id: "a", category: "math", turns: ["q"], answer: "x" })}\n`);
  assert.throws(() => loadPromptSet(f), /line 1.*unrecognized|line 1.*answer/i);
  writeFileSync(f, `{"id": "a",\n`);
  assert.throws(() => loadPromptSet(f), /bad\.jsonl, line 1: invalid JSON/);

  const y = join(d, "bad.yaml");
  writeFileSync(
    y,
    "name: x\nprompts:\n  - id: ok\n    category: math\n    turns: [q]\n  - id: bad\n    category: Math Stuff\n    turns: [q]\n",
  );
  assert.throws(() => loadPromptSet(y), /bad\.yaml, line 6, field 'prompts\[1\]\.category'/);

  writeFileSync(
    y,
    "prompts:\n  - id: a\n    category: math\n    turns: [q]\n  - id: a\n    category: math\n    turns: [r]\n",
  );
  assert.throws(() => loadPromptSet(y), /line 5, field 'id': duplicate prompt id 'a'/);
  assert.throws(
    () => loadPromptSet(join(d, "nope.yaml")),
    (e: unknown) => e instanceof ModelmapError && e.code === "not_found",
  );
});

test("the held-out set: >= 16 categories, >= 15 prompts each, references where checkable, canary in every file", () => {
  const s = loadPromptSet("prompts/heldout");
  assert.equal(s.name, "heldout-v1");
  assert.ok(s.canary && s.canary.length >= 32);
  const byCat = new Map<string, number>();
  for (const i of s.items) byCat.set(i.category, (byCat.get(i.category) ?? 0) + 1);
  const required = [
    "writing",
    "roleplay",
    "common-sense",
    "fermi",
    "counterfactual",
    "coding",
    "math",
    "knowledge",
    "generic",
    "brainstorming",
    "open-qa",
    "closed-qa",
    "rewriting",
    "summarization",
    "extraction",
    "classification",
    "chat",
  ];
  for (const c of required) assert.ok((byCat.get(c) ?? 0) >= 15, `category ${c} has ${byCat.get(c) ?? 0} prompts`);
  for (const c of ["math", "coding", "closed-qa", "extraction", "classification", "fermi"]) {
    const items = s.items.filter((i) => i.category === c);
    assert.ok(
      items.every((i) => i.reference !== undefined),
      `every ${c} prompt has a reference`,
    );
  }
  for (const f of readdirSync("prompts/heldout")) {
    assert.ok(readFileSync(join("prompts/heldout", f), "utf8").includes(s.canary as string), `${f} carries the canary`);
  }
  assert.ok(
    s.items.some((i) => i.turns.length > 1),
    "some prompts are multi-turn",
  );
});

test("MT-bench and Vicuna-bench question files import with their GPT-4 references", () => {
  const mt = loadPromptSet(sharedData("mt_bench/question.jsonl"));
  assert.equal(mt.name, "mt-bench");
  assert.equal(mt.items.length, 80);
  assert.equal(new Set(mt.items.map((i) => i.category)).size, 8);
  assert.ok(mt.items.every((i) => i.turns.length === 2));
  const q101 = mt.items.find((i) => i.id === "mtbench-101");
  assert.ok(Array.isArray(q101?.reference) && q101.reference.length === 2, "reference joined from the sibling file");
  const vic = loadPromptSet(sharedData("mt_bench/vicuna_bench_question.jsonl"));
  assert.equal(vic.name, "vicuna-bench");
  assert.equal(vic.items.length, 80);
  assert.ok(vic.items.some((i) => i.category === "fermi"));
  assert.equal(vic.items.filter((i) => i.reference).length, 10);
});

test("Arena-Hard v0.1 and v2.0 question files import", () => {
  const v1 = loadPromptSet(sharedData("arena_hard_auto/arena-hard-v0.1_question.jsonl"));
  assert.equal(v1.items.length, 500);
  assert.equal(v1.name, "arena-hard-v0.1");
  assert.ok(v1.items[0]?.tags?.includes("arena-hard-v0.1"));
  const v2 = loadPromptSet(sharedData("arena_hard_auto/arena-hard-v2.0_question.jsonl"));
  assert.equal(v2.items.length, 750);
  const cats = new Set(v2.items.map((i) => i.category));
  assert.deepEqual([...cats].sort(), ["coding", "creative-writing", "math"]);
});
