/**
 * Harness benchmarks (run: npx tsx bench/harness.ts [--items 1000] [--small 5000] [--large 50000] [--skip-memory]).
 *
 * 1. Throughput: HellaSwag items (real data, ../shared/data) through the real llama.cpp engine on a tiny GGUF:
 *    items/s, tokens evaluated against the minimum (every context token once plus every continuation token), and
 *    the share of wall time spent outside the backend (planning, cache, store, logging, dataset reading).
 * 2. Resume overhead: the same run killed (aborted) at 90%, then resumed; resumed time / full time.
 * 3. Memory: peak RSS of a whole run of N synthetic 4-choice items in a fresh process (scripted backend, file
 *    database, JSONL sample log), for a small and a large N; the ratio should stay near 1 (streaming).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { LlamaCppBackend } from "../src/backends/llama-cpp/index.ts";
import { resolveModel } from "../src/models/resolve.ts";
import { runEval } from "../src/runner/run-eval.ts";
import { loadRegistry } from "../src/runner/service.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import { TaskRegistry } from "../src/tasks/loader.ts";
import { ScriptedBackend } from "../test/support/scripted-backend.ts";
import { createTinyModel } from "../test/support/tiny-model.ts";

const { values } = parseArgs({
  options: {
    items: { type: "string", default: "1000" },
    small: { type: "string", default: "5000" },
    large: { type: "string", default: "50000" },
    "skip-memory": { type: "boolean", default: false },
    "memory-child": { type: "string" },
    dir: { type: "string" },
  },
});

const DATA = join(import.meta.dirname, "..", "..", "shared", "data");
const prompt = { chatTemplate: false, fewshotAsMultiturn: false, seed: 1234, numFewshot: 0 };

async function memoryChild(n: number, dir: string): Promise<void> {
  const reg = TaskRegistry.load([join(dir, "tasks")]);
  const { tasks, groups } = reg.resolve(["synth"]);
  const store = openStore(join(dir, `mem-${n}.db`));
  const { createWriteStream } = await import("node:fs");
  const log = createWriteStream(join(dir, `samples-${n}.jsonl`));
  const out = await runEval(store, new ScriptedBackend({ concurrency: 4 }), {
    modelId: "scripted",
    tasks,
    groups,
    dataDir: join(dir, "data"),
    prompt,
    limit: n,
    onSample: (_t, s) => log.write(`${JSON.stringify(s)}\n`),
  });
  await new Promise<void>((r) => log.end(() => r()));
  await store.close();
  process.stdout.write(`${JSON.stringify({ n: out.results.synth_mc?.n, maxRssKb: process.resourceUsage().maxRSS })}\n`);
}

if (values["memory-child"]) {
  await memoryChild(Number(values["memory-child"]), values.dir as string);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), "mm-bench-"));
const items = Number(values.items);

// --- 1. Throughput on HellaSwag through llama.cpp ---------------------------------------------------------------
const model = createTinyModel(join(dir, "tiny.gguf"), { seed: 11 });
const backend: LlamaCppBackend = await resolveModel({ kind: "gguf", file: model.path, threads: 1 }, { env: {} });
const reg = loadRegistry();
const { tasks } = reg.resolve(["hellaswag"]);
const store = openStore(join(dir, "bench.db"));
// Decompressing the bz2 dataset is a one-time cost per process (then memoized); report it apart.
{
  const { TaskData } = await import("../src/tasks/task-data.ts");
  const task = tasks[0] as (typeof tasks)[number];
  const td = performance.now();
  await (await TaskData.open(task, { dataDir: DATA })).count(1);
  console.log(`dataset decode (bz2, once per process): ${((performance.now() - td) / 1000).toFixed(2)} s`);
}
backend.resetTokenCount();
const t0 = performance.now();
const full = await runEval(store, backend, { modelId: "tiny", tasks, groups: [], dataDir: DATA, prompt, limit: items });
const fullMs = performance.now() - t0;
const evaluated = backend.tokensEvaluated;

// Minimum: each distinct context once (with BOS) plus every continuation token.
let minimum = 0;
const seen = new Set<string>();
for await (const s of store.evals.iterateSamples(full.runId)) {
  for (const a of s.arguments) {
    if (a.kind !== "loglikelihood") continue;
    if (!seen.has(a.context)) {
      seen.add(a.context);
      minimum += (await backend.tokenize(a.context)).length + 1;
    }
  }
}
const cache = new Map<string, number>();
for await (const s of store.evals.iterateSamples(full.runId)) {
  for (const a of s.arguments) {
    if (a.kind !== "loglikelihood") continue;
    const k = `${a.context}\u0000${a.continuation}`;
    if (cache.has(k)) continue;
    const both = (await backend.tokenize(a.context + a.continuation)).length;
    const ctx = (await backend.tokenize(a.context)).length;
    cache.set(k, Math.max(1, both - ctx));
    minimum += Math.max(1, both - ctx);
  }
}
const outside = 1 - full.stats.backendMs / fullMs;
console.log(`hellaswag ${full.results.hellaswag?.n} items through llama.cpp (tiny GGUF, 1 thread):`);
console.log(
  `  wall ${(fullMs / 1000).toFixed(2)} s, ${((full.results.hellaswag?.n as number) / (fullMs / 1000)).toFixed(1)} items/s, ${full.stats.requestsSent} requests in ${full.stats.batches} batches`,
);
console.log(
  `  tokens evaluated ${evaluated}, minimum ${minimum}, ratio ${(evaluated / minimum).toFixed(3)} (target <= 1.05)`,
);
console.log(
  `  backend ${(full.stats.backendMs / 1000).toFixed(2)} s; outside the backend ${(outside * 100).toFixed(2)}% of wall (target < 5%)`,
);

// --- 2. Resume at 90% -----------------------------------------------------------------------------------------------
const store2 = openStore(join(dir, "resume.db"));
const ac = new AbortController();
const stopAt = Math.floor(items * 0.9);
try {
  await runEval(store2, backend, {
    modelId: "tiny",
    tasks,
    groups: [],
    dataDir: DATA,
    prompt,
    limit: items,
    window: 100,
    signal: ac.signal,
    progress: {
      start() {},
      update(done) {
        if (done >= stopAt) ac.abort();
      },
      finish() {},
    },
  });
  console.log("  (the run finished before the abort point)");
} catch {
  // aborted, as intended
}
const t1 = performance.now();
const resumed = await runEval(store2, backend, {
  modelId: "tiny",
  tasks,
  groups: [],
  dataDir: DATA,
  prompt,
  limit: items,
});
const resumedMs = performance.now() - t1;
const same = JSON.stringify(resumed.results) === JSON.stringify(full.results);
console.log(
  `resume at 90%: resumed run ${(resumedMs / 1000).toFixed(2)} s (${resumed.stats.cachedRequests} cached, ${resumed.stats.requestsSent} sent) = ${((100 * resumedMs) / fullMs).toFixed(1)}% of the full run (target <= 15%); results identical: ${same}`,
);
await backend.close();
await store.close();
await store2.close();

// --- 3. Memory: small vs large run in fresh processes -----------------------------------------------------------------
if (!values["skip-memory"]) {
  const large = Number(values.large);
  const small = Number(values.small);
  const { mkdirSync } = await import("node:fs");
  mkdirSync(join(dir, "tasks"));
  mkdirSync(join(dir, "data"));
  const { createWriteStream } = await import("node:fs");
  const ws = createWriteStream(join(dir, "data", "synth.jsonl"));
  for (let i = 0; i < large; i++) {
    const ok = ws.write(
      `${JSON.stringify({ q: `Synthetic question number ${i}: which option is the answer?`, options: [`alpha ${i}`, `beta ${i}`, `gamma ${i}`, `delta ${i}`], gold: i % 4 })}\n`,
    );
    if (!ok) await new Promise<void>((r) => ws.once("drain", () => r()));
  }
  await new Promise<void>((r) => ws.end(() => r()));
  writeFileSync(
    join(dir, "tasks", "synth.yaml"),
    'task: synth_mc\ntag: synth\ndata_files: synth.jsonl\noutput_type: multiple_choice\ndoc_to_text: "Question: {{q}}\\nAnswer:"\ndoc_to_choice: options\ndoc_to_target: gold\n',
  );
  const measure = (n: number) => {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "harness.ts"), "--memory-child", String(n), "--dir", dir],
      { encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").pop() as string) as { n: number; maxRssKb: number };
  };
  const a = measure(small);
  const b = measure(large);
  console.log(
    `memory: peak RSS ${(a.maxRssKb / 1024).toFixed(1)} MiB for ${a.n} samples, ${(b.maxRssKb / 1024).toFixed(1)} MiB for ${b.n} samples: ratio ${(b.maxRssKb / a.maxRssKb).toFixed(2)} (target <= 1.5)`,
  );
}
