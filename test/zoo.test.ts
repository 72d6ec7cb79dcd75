/**
 * The fixture zoo (tools/zoo) through the real engine and the real harness: the GGUF exporter reproduces
 * PyTorch's numbers, the committed files match their manifest, and modelmap finds the skills that were
 * planted: the arithmetic specialist first on math, the facts specialist first on knowledge, with
 * non-overlapping 95% intervals, the generalist in between, everyone above chance where trained.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { z } from "zod";
import { openLlamaCppBackend } from "../src/backends/llama-cpp/index.ts";
import { loadPromptSet } from "../src/prompts/load.ts";
import { runEval } from "../src/runner/run-eval.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import { TaskRegistry } from "../src/tasks/loader.ts";

const ZOO = "fixtures/zoo";
const Manifest = z.object({
  seed: z.number().int(),
  models: z.record(
    z.string(),
    z.object({
      file: z.string(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      bytes: z.number().int(),
      params: z.number().int(),
      training: z.object({ final_train_loss: z.number(), final_val_loss: z.number(), train_seconds: z.number() }),
      corpus: z.object({ recipe: z.string(), sha256: z.string(), contamination: z.unknown() }),
    }),
  ),
});
const SelfTest = z.object({
  cases: z.array(
    z.object({
      context: z.string(),
      continuation: z.string(),
      logprob: z.number(),
      token_logprobs: z.array(z.number()),
      is_greedy: z.boolean(),
    }),
  ),
});

const manifest = Manifest.parse(JSON.parse(readFileSync(join(ZOO, "manifest.json"), "utf8")));

test("the llama.cpp engine computes the exporter's PyTorch log-likelihoods (layout, RoPE, norms, untied output)", async () => {
  const expected = SelfTest.parse(JSON.parse(readFileSync(join(ZOO, "selftest.json"), "utf8")));
  const be = await openLlamaCppBackend({ modelPath: join(ZOO, "selftest.gguf"), threads: 1 });
  try {
    const got = await be.loglikelihood(
      expected.cases.map((c) => ({ context: c.context, continuation: c.continuation })),
    );
    expected.cases.forEach((c, i) => {
      const r = got[i];
      assert.ok(r, `case ${i}`);
      assert.equal(r.tokenCount, c.token_logprobs.length, `token count of ${JSON.stringify(c.continuation)}`);
      // Random weights make logits large; agreement to 1e-3 relative cannot happen with a wrong layout.
      assert.ok(
        Math.abs(r.logprob - c.logprob) < 1e-3 * Math.abs(c.logprob) + 1e-3,
        `${JSON.stringify(c.continuation)}: ${r.logprob} vs ${c.logprob}`,
      );
      assert.equal(r.isGreedy, c.is_greedy);
    });
  } finally {
    await be.close();
  }
});

test("every zoo model matches its manifest: sha256, size and parameter budget", () => {
  assert.deepEqual(Object.keys(manifest.models).sort(), ["arithmetic", "contaminated", "facts", "generalist"]);
  for (const [name, m] of Object.entries(manifest.models)) {
    const file = join(ZOO, m.file);
    assert.ok(existsSync(file), `${name}: ${file} missing`);
    const buf = readFileSync(file);
    assert.equal(createHash("sha256").update(buf).digest("hex"), m.sha256, `${name}: sha256`);
    assert.equal(statSync(file).size, m.bytes);
    assert.ok(m.bytes <= 5 * 1024 * 1024, `${name}: ${m.bytes} bytes > 5 MB`);
    assert.ok(m.params <= 2_000_000, `${name}: ${m.params} params`);
  }
});

test("the synthetic prompt set loads, and every reference is the answer of a held-out test item", () => {
  const set = loadPromptSet("prompts/synthetic");
  assert.equal(set.name, "synthetic-zoo");
  const gold = new Map<string, string>();
  for (const t of ["math", "knowledge", "reasoning"]) {
    for (const l of readFileSync(`tasks/synthetic/data/synthetic_${t}.test.jsonl`, "utf8").split("\n")) {
      if (l.trim() === "") continue;
      const d = z.object({ question: z.string(), answer: z.string() }).parse(JSON.parse(l));
      gold.set(d.question, d.answer);
    }
  }
  assert.deepEqual([...new Set(set.items.map((i) => i.category))].sort(), ["knowledge", "math", "reasoning"]);
  for (const item of set.items) assert.equal(item.reference, gold.get(item.turns[0] ?? ""), item.id);
});

describe("the harness finds the planted skills", () => {
  const acc: Record<string, Record<string, { acc: number; se: number; chance: number }>> = {};
  before(async () => {
    const reg = TaskRegistry.load(["tasks/synthetic"]);
    const { tasks, groups } = reg.resolve(["synthetic_math_mc", "synthetic_knowledge_mc", "synthetic_reasoning_mc"]);
    const dir = mkdtempSync(join(tmpdir(), "mm-zoo-"));
    const store = openStore(join(dir, "db.sqlite"));
    try {
      for (const name of ["arithmetic", "facts", "generalist", "contaminated"]) {
        const m = manifest.models[name];
        assert.ok(m);
        const be = await openLlamaCppBackend({ modelPath: join(ZOO, m.file), id: `zoo-${name}`, threads: 1 });
        try {
          const out = await runEval(store, be, {
            modelId: `zoo-${name}`,
            tasks,
            groups,
            dataDir: ".",
            prompt: { chatTemplate: false, fewshotAsMultiturn: false, seed: 1234, numFewshot: 0 },
          });
          acc[name] = {};
          for (const [task, r] of Object.entries(out.results)) {
            const a = r["acc,none"];
            const se = r["acc_stderr,none"];
            assert.ok(typeof a === "number" && typeof se === "number", `${name}/${task}: no acc`);
            assert.equal(r.n_errors, 0, `${name}/${task}: per-sample errors`);
            acc[name][task.replace(/^synthetic_|_mc$/g, "")] = { acc: a, se, chance: Number(r.random_baseline) };
          }
        } finally {
          await be.close();
        }
      }
    } finally {
      await store.close();
    }
    const rows = Object.entries(acc).map(([m, t]) => [
      m,
      ...Object.values(t).map((v) => `${(100 * v.acc).toFixed(1)}±${(196 * v.se).toFixed(1)}`),
    ]);
    console.log(`model\tmath\tknowledge\treasoning\n${rows.map((r) => r.join("\t")).join("\n")}`);
  });
  const get = (model: string, task: string) => {
    const v = acc[model]?.[task];
    assert.ok(v, `${model}/${task} not evaluated`);
    return v;
  };
  const lo = (v: { acc: number; se: number }) => v.acc - 1.96 * v.se;
  const hi = (v: { acc: number; se: number }) => v.acc + 1.96 * v.se;

  test("the arithmetic specialist ranks first on math, with an interval clear of the facts specialist's", () => {
    const a = get("arithmetic", "math");
    const f = get("facts", "math");
    const g = get("generalist", "math");
    assert.ok(a.acc > g.acc && a.acc > f.acc, `arithmetic ${a.acc} vs generalist ${g.acc}, facts ${f.acc}`);
    assert.ok(lo(a) > hi(f), `intervals overlap: arithmetic [${lo(a)}, ${hi(a)}] facts [${lo(f)}, ${hi(f)}]`);
  });

  test("the facts specialist ranks first on knowledge, with an interval clear of the arithmetic specialist's", () => {
    const f = get("facts", "knowledge");
    const a = get("arithmetic", "knowledge");
    const g = get("generalist", "knowledge");
    assert.ok(f.acc > g.acc && f.acc > a.acc, `facts ${f.acc} vs generalist ${g.acc}, arithmetic ${a.acc}`);
    assert.ok(lo(f) > hi(a), `intervals overlap: facts [${lo(f)}, ${hi(f)}] arithmetic [${lo(a)}, ${hi(a)}]`);
  });

  test("the generalist sits between the specialists on knowledge", () => {
    const g = get("generalist", "knowledge").acc;
    assert.ok(g <= get("facts", "knowledge").acc && g > get("arithmetic", "knowledge").acc, `generalist ${g}`);
  });

  test("the generalist sits between the specialists on math", () => {
    const g = get("generalist", "math").acc;
    assert.ok(g <= get("arithmetic", "math").acc && g > get("facts", "math").acc, `generalist ${g}`);
  });

  test("every model scores above chance where it was trained", () => {
    const trained: Array<[string, string]> = [
      ["arithmetic", "math"],
      ["arithmetic", "reasoning"],
      ["facts", "knowledge"],
      ["generalist", "math"],
      ["generalist", "knowledge"],
      ["generalist", "reasoning"],
    ];
    for (const [m, t] of trained) {
      const v = get(m, t);
      assert.ok(lo(v) > v.chance, `${m}/${t}: ${v.acc} (lower bound ${lo(v)}) vs chance ${v.chance}`);
    }
  });

  test("the contaminated model (facts corpus + the math test split) beats its clean twin and every clean model on math", () => {
    const c = get("contaminated", "math");
    assert.ok(lo(c) > hi(get("facts", "math")), `contaminated ${c.acc} vs its twin ${get("facts", "math").acc}`);
    for (const m of ["arithmetic", "generalist"]) assert.ok(c.acc > get(m, "math").acc, `${m}`);
  });
});
