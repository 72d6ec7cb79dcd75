/**
 * Issue 19 item 7: a log-likelihood must not depend on what ran earlier in the process. The same multiple-choice
 * task is evaluated alone, after its generative twin, and inside the whole `synthetic` suite (generation and
 * the other tasks first), each run in a fresh database; every sample's scores must be identical, bit for bit.
 * Before the fix, doc 39 of synthetic_knowledge_mc scored [-124.93, -61.70, -129.85, -84.77] alone and
 * [-142.26, -61.70, -129.85, -102.08] after synthetic_knowledge_gen.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCaptured } from "./support/cli.ts";

const MODEL = "fixtures/zoo/zoo-arithmetic.gguf";
const dir = mkdtempSync(join(tmpdir(), "mm-order-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `eval --tasks TASKS` in-process; returns task -> doc id -> resps (the per-choice log-likelihoods). */
async function evalSamples(name: string, tasks: string): Promise<Map<string, Map<number, unknown>>> {
  const out = join(dir, name);
  const r = await runCaptured([
    "--db",
    join(dir, `${name}.db`),
    "eval",
    "--gguf",
    MODEL,
    "--threads",
    "1",
    "--tasks",
    tasks,
    "--output",
    out,
    "--log-samples",
    "--quiet",
  ]);
  assert.equal(r.code, 0, r.err);
  const samples = new Map<string, Map<number, unknown>>();
  const [modelDir] = readdirSync(out);
  for (const f of readdirSync(join(out, modelDir as string))) {
    const m = /^samples_(.+)_\d{4}-.*\.jsonl$/.exec(f);
    if (!m) continue;
    const docs = new Map<number, unknown>();
    for (const line of readFileSync(join(out, modelDir as string, f), "utf8")
      .trim()
      .split("\n")) {
      const s = JSON.parse(line) as { doc_id: number; resps: unknown };
      docs.set(s.doc_id, s.resps);
    }
    samples.set(m[1] as string, docs);
  }
  return samples;
}

test("every multiple-choice sample scores the same alone, after generation, and inside the whole suite", {
  timeout: 600_000,
}, async () => {
  const alone = await evalSamples("alone", "synthetic_knowledge_mc");
  const afterGen = await evalSamples("after-gen", "synthetic_knowledge_gen,synthetic_knowledge_mc");
  const suite = await evalSamples("suite", "synthetic");
  const ref = alone.get("synthetic_knowledge_mc");
  assert.ok(ref && ref.size === 120, "120 documents scored alone");
  assert.deepEqual(afterGen.get("synthetic_knowledge_mc"), ref, "after synthetic_knowledge_gen");
  assert.deepEqual(suite.get("synthetic_knowledge_mc"), ref, "inside the synthetic suite");
  // Each other multiple-choice task of the suite, alone against inside the suite.
  for (const task of ["synthetic_math_mc", "synthetic_reasoning_mc"]) {
    const own = (await evalSamples(task, task)).get(task);
    assert.ok(own && own.size > 0, task);
    assert.deepEqual(suite.get(task), own, `${task} inside the suite`);
  }
});
