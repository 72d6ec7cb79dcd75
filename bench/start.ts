/**
 * Benchmark of `npm start` (issues 5 and 14): the offline main job on the fixture zoo, as users run it (whole
 * `npm start -- --no-serve --quiet` processes; CPU time of the process tree where /usr/bin/time exists).
 *   1. cold, the baseline: a fresh database with the start cache off (MODELMAP_NO_START_CACHE=1, the way before
 *      issue 14) (--no-cold-baseline skips it: it costs a second cold start; the old way's warm starts then use a
 *      database filled in-process);
 *   2. cold with the start cache on, in another fresh database and an empty cache folder (budget: 3 minutes on
 *      2 cores; target: no slower than 1.);
 *   3. warm, both ways, interleaved so that both see the same load, each on its own database: best and median of
 *      --rounds (target: <= 1 s wall with the cache);
 *   4. the same warm starts in-process (runPipeline only, after one run each to fill the caches for the sources'
 *      build, which is not the compiled one the processes run).
 * It also checks that both ways print the same summary. The load average is printed: the machine may be shared.
 * `--limit N`, `--zoo DIR` and `--no-contamination` as for `modelmap start`.
 *
 * Run: nice npx tsx bench/start.ts [--rounds 5] [--no-cold-baseline] [--limit N] [--zoo DIR] [--no-contamination]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type PipelineReport, runPipeline, ZOO_CONTAMINATION } from "../src/mainjob/pipeline.ts";
import { StartCache } from "../src/mainjob/start-cache.ts";
import {
  DEFAULT_ZOO_DIR,
  loadZoo,
  REPO_ROOT,
  ZOO_PROMPT_SETS,
  ZOO_TASKS,
  ZOO_VOTE_SOURCE,
} from "../src/mainjob/zoo.ts";
import { openStore } from "../src/store/sqlite/index.ts";

const { values } = parseArgs({
  options: {
    limit: { type: "string" },
    zoo: { type: "string" },
    contamination: { type: "boolean" },
    rounds: { type: "string" },
    "cold-baseline": { type: "boolean" },
  },
  allowNegative: true,
});
const rounds = Number(values.rounds ?? 5);
const zooDir = values.zoo ? resolve(values.zoo) : DEFAULT_ZOO_DIR;
const models = loadZoo(zooDir);
const dir = mkdtempSync(join(tmpdir(), "mm-bench-start-"));
const cacheRoot = join(dir, "cache");
const dbNew = join(dir, "new.db");
const dbOld = join(dir, "old.db");
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

async function inProcess(db: string, cache: boolean): Promise<{ wall: number; cpu: number; r: PipelineReport }> {
  const store = openStore(db);
  try {
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
      contamination: values.contamination === false ? false : ZOO_CONTAMINATION,
      ...(cache ? { cache: new StartCache(join(cacheRoot, "start")) } : {}),
    });
    const c = process.cpuUsage(c0);
    return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, r };
  } finally {
    await store.close();
  }
}

const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

/** One `npm start` process, as users run it; its wall time, CPU time and what it printed (timings blanked). */
function npmStart(db: string, cache: boolean): { wall: number; cpu: number; summary: string } {
  const args = ["start", "--silent", "--", "--no-serve", "--quiet", "--db", db];
  if (values.zoo) args.push("--zoo", zooDir);
  if (values.limit) args.push("--limit", values.limit);
  if (values.contamination === false) args.push("--no-contamination");
  const env = { ...process.env, MODELMAP_CACHE_DIR: cacheRoot, MODELMAP_NO_START_CACHE: cache ? "0" : "1" };
  const t0 = performance.now();
  const p = TIME
    ? spawnSync(TIME, ["-f", "cpu %U %S", "npm", ...args], { cwd: REPO_ROOT, env, encoding: "utf8" })
    : spawnSync("npm", args, { cwd: REPO_ROOT, env, encoding: "utf8" });
  const wall = (performance.now() - t0) / 1000;
  if (p.status !== 0) throw new Error(`npm start failed (${p.status}): ${p.stderr}${p.stdout}`);
  const t = /cpu (\d+\.\d+) (\d+\.\d+)\s*$/.exec(p.stderr);
  const cpu = t ? Number(t[1]) + Number(t[2]) : Number.NaN;
  return { wall, cpu, summary: p.stdout.replace(/\d+\.\ds\b/g, "#s") };
}

const fmt = (s: number) => `${s.toFixed(2)}s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

try {
  // npm start compiles first when dist/ is stale: done here, so that no timed start includes a build.
  spawnSync(process.execPath, [join(REPO_ROOT, "tools", "build.mjs"), "--if-stale"], { stdio: "inherit" });
  console.log(`load average before: ${load()}`);
  const coldOld = values["cold-baseline"] === false ? undefined : npmStart(dbOld, false);
  if (coldOld)
    console.log(
      `cold npm start, start cache off (old way): wall ${fmt(coldOld.wall)}  cpu ${fmt(coldOld.cpu)}  (load ${load()})`,
    );
  const cold = npmStart(dbNew, true);
  console.log(
    `cold npm start, start cache on:           wall ${fmt(cold.wall)}  cpu ${fmt(cold.cpu)}  (load ${load()})`,
  );
  if (!coldOld) await inProcess(dbOld, false); // a database for the old way's warm starts

  const warmNew: number[] = [];
  const warmOld: number[] = [];
  let sumNew = "";
  let sumOld = "";
  // Interleaved, so that both ways see the same load; separate databases, so that neither disturbs the other.
  for (let i = 0; i < rounds; i++) {
    const a = npmStart(dbNew, true);
    const b = npmStart(dbOld, false);
    warmNew.push(a.wall);
    warmOld.push(b.wall);
    sumNew = a.summary;
    sumOld = b.summary.replace(dbOld, dbNew);
  }
  console.log(
    `warm npm start, start cache on:           best ${fmt(Math.min(...warmNew))}  median ${fmt(median(warmNew))}  of ${rounds}  (target <= 1 s)`,
  );
  console.log(
    `warm npm start, start cache off (old way): best ${fmt(Math.min(...warmOld))}  median ${fmt(median(warmOld))}  of ${rounds}`,
  );
  await inProcess(dbNew, true);
  await inProcess(dbOld, false);
  const inNew = await inProcess(dbNew, true);
  const inOld = await inProcess(dbOld, false);
  const r = inNew.r;
  console.log(
    `${models.length} models, ${r.eval.docs} documents, ${r.eval.plannedRequests} benchmark requests, ${r.answers.total} answers, ${r.votes.total} votes`,
  );
  console.log(
    `warm in-process runPipeline: start cache on wall ${fmt(inNew.wall)} cpu ${fmt(inNew.cpu)}; off wall ${fmt(inOld.wall)} cpu ${fmt(inOld.cpu)}`,
  );
  console.log(`same summary both ways: ${sumNew === sumOld ? "yes" : "NO"}`);
  if (sumNew !== sumOld) console.log(`--- cache on\n${sumNew}\n--- cache off\n${sumOld}`);
  console.log(
    `ratios: warm old/new (best) ${(Math.min(...warmOld) / Math.min(...warmNew)).toFixed(2)}x; cold / warm (best) ${(cold.wall / Math.min(...warmNew)).toFixed(0)}x${coldOld ? `; cold new/old wall ${(cold.wall / coldOld.wall).toFixed(2)}, cpu ${(cold.cpu / coldOld.cpu).toFixed(2)} (<= 1 is no slower)` : ""}`,
  );
  console.log(`load average after: ${load()}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
