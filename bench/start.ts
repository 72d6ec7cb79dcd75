/**
 * Benchmark of `modelmap start` (issue 5): the offline main job on the fixture zoo, in a fresh database,
 * three times in one process:
 *   1. cold: every benchmark request and answer computed (target: at most 3 minutes on 2 cores);
 *   2. warm: the same start again, everything from the caches (the lazy backend never loads llama.cpp);
 *   3. warm again, for the spread.
 * The baseline is the cold run; the ratio is cold / warm. CPU time is printed beside wall time, since the
 * machine may be shared. `--limit N`, `--zoo DIR` and `--no-contamination` as for `modelmap start` (the
 * contamination check, on by default as in `npm start`, is about three quarters of a cold run's CPU time).
 *
 * Run: npx tsx bench/start.ts [--limit N] [--zoo DIR] [--no-contamination]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runPipeline } from "../src/mainjob/pipeline.ts";
import { DEFAULT_ZOO_DIR, loadZoo, ZOO_PROMPT_SETS, ZOO_TASKS, ZOO_VOTE_SOURCE } from "../src/mainjob/zoo.ts";
import { openStore } from "../src/store/sqlite/index.ts";

const { values } = parseArgs({
  options: { limit: { type: "string" }, zoo: { type: "string" }, contamination: { type: "boolean" } },
  allowNegative: true,
});
const models = loadZoo(values.zoo ? resolve(values.zoo) : DEFAULT_ZOO_DIR);
const dir = mkdtempSync(join(tmpdir(), "mm-bench-start-"));
const store = openStore(join(dir, "bench.db"));
try {
  const times: Array<{
    wall: number;
    cpu: number;
    sent: number;
    generated: number;
    engines: number;
    texts: number;
  }> = [];
  for (let round = 0; round < 3; round++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await runPipeline(store, {
      models,
      tasks: ZOO_TASKS,
      promptSets: ZOO_PROMPT_SETS,
      ...(values.limit ? { limit: Number(values.limit) } : {}),
      seed: 1234,
      voteSource: ZOO_VOTE_SOURCE,
      maxTokens: 16,
      threads: 1,
      ...(values.contamination === false ? { contamination: false as const } : {}),
    });
    const c = process.cpuUsage(c0);
    times.push({
      wall: (performance.now() - t0) / 1000,
      cpu: (c.user + c.system) / 1e6,
      sent: r.eval.backendRequests,
      generated: r.answers.generated,
      engines: r.enginesLoaded,
      texts: r.contaminationStats.sent,
    });
    if (round === 0)
      console.log(
        `${models.length} models, ${r.eval.docs} documents, ${r.eval.plannedRequests} benchmark requests, ${r.answers.total} answers, ${r.votes.total} votes`,
      );
  }
  const names = ["cold", "warm", "warm again"];
  for (const [i, t] of times.entries())
    console.log(
      `${names[i]?.padEnd(10)} wall ${t.wall.toFixed(1)}s  cpu ${t.cpu.toFixed(1)}s  requests sent ${t.sent}  answers generated ${t.generated}  contamination texts scored ${t.texts}  engines loaded ${t.engines}`,
    );
  const cold = times[0]?.wall ?? 0;
  const warm = Math.min(times[1]?.wall ?? 0, times[2]?.wall ?? 0);
  console.log(`cold / warm: ${(cold / warm).toFixed(1)}x (budget for cold: 180 s on 2 cores)`);
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
