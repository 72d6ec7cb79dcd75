/**
 * Contamination checks: tokens the engine evaluates for the exchangeability test and the per-item methods,
 * against the naive count (every sequence from scratch: BOS + its tokens), and against the same requests sent
 * in their natural order (canonical, then shuffles shard by shard) in the same process.
 *
 * Run: npx tsx bench/contamination.ts [--items 120] [--shards 10] [--permutations 20] [--threads 1]
 *      [--model FILE.gguf] [--task synthetic_math_mc]
 * Without --model it writes a tiny random llama to a temp dir (the zoo's models work too: --model fixtures/zoo/...).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { taskItems } from "../src/contamination/items.ts";
import { RollingScorer } from "../src/contamination/scoring.ts";
import { ITEM_SEPARATOR, shardOrders } from "../src/contamination/service.ts";
import { resolveModel } from "../src/models/resolve.ts";
import { shardIndices } from "../src/stats/contamination.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import { TaskRegistry } from "../src/tasks/loader.ts";
import { createTinyModel } from "../test/support/tiny-model.ts";

const { values } = parseArgs({
  options: {
    items: { type: "string", default: "120" },
    shards: { type: "string", default: "10" },
    permutations: { type: "string", default: "20" },
    threads: { type: "string", default: "1" },
    model: { type: "string" },
    task: { type: "string", default: "synthetic_math_mc" },
  },
});
const dir = mkdtempSync(join(tmpdir(), "mm-bench-contam-"));
const modelPath = values.model ?? createTinyModel(join(dir, "tiny.gguf"), { seed: 3, contextLength: 512 }).path;
const task = TaskRegistry.load(["tasks"]).resolve([values.task]).tasks[0];
if (!task) throw new Error(`no task ${values.task}`);
const texts = (await taskItems(task, "tasks/synthetic", Number(values.items))).map((i) => i.text);
const shards = shardIndices(texts.length, Number(values.shards));
const seqs: string[] = [];
shards.forEach((ix, s) => {
  const items = ix.map((i) => texts[i] as string);
  seqs.push(items.join(ITEM_SEPARATOR));
  for (const o of shardOrders(items, Number(values.permutations), 1234, s)) seqs.push(o.join(ITEM_SEPARATOR));
});

async function measure(sorted: boolean) {
  const be = await resolveModel(
    { kind: "gguf", file: modelPath, threads: Number(values.threads) },
    { env: {}, cwd: process.cwd() },
  );
  const store = openStore(":memory:");
  try {
    const t0 = performance.now();
    const sc = new RollingScorer(be, store.evals, 64, sorted);
    await sc.score(texts, true);
    const items = { ...sc.stats };
    await sc.score(seqs, false);
    return { ms: performance.now() - t0, items, all: sc.stats };
  } finally {
    await store.close();
    await be.close();
  }
}

const natural = await measure(false);
const sorted = await measure(true);
const n = (x: number | null) => (x === null ? "-" : x.toLocaleString("en-US"));
console.log(
  `model ${modelPath}; ${texts.length} items of ${task.name}; ${shards.length} shards x (1 canonical + ${values.permutations} shuffled)`,
);
console.log(`sequences scored: ${n(sorted.all.requested)} (items ${texts.length}, exchangeability ${seqs.length})`);
console.log(`naive tokens (each sequence from scratch):      ${n(sorted.all.naiveTokens)}`);
console.log(
  `evaluated, natural order:                       ${n(natural.all.evaluatedTokens)}  (${((natural.all.evaluatedTokens ?? 0) / sorted.all.naiveTokens).toFixed(3)}x naive)  ${(natural.ms / 1000).toFixed(1)} s`,
);
console.log(
  `evaluated, sorted (modelmap):                   ${n(sorted.all.evaluatedTokens)}  (${((sorted.all.evaluatedTokens ?? 0) / sorted.all.naiveTokens).toFixed(3)}x naive)  ${(sorted.ms / 1000).toFixed(1)} s`,
);
console.log(
  `  of which per-item pass: ${n(sorted.items.evaluatedTokens)} evaluated vs ${n(sorted.items.naiveTokens)} naive`,
);
console.log(
  `ratio sorted / natural order: ${((sorted.all.evaluatedTokens ?? 0) / (natural.all.evaluatedTokens ?? 1)).toFixed(3)}; wall ${(sorted.ms / natural.ms).toFixed(3)}`,
);
rmSync(dir, { recursive: true, force: true });
