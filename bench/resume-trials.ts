/**
 * Resume trials (issue 19 item 7): `modelmap eval` is killed with SIGKILL at a seeded random point, then run again
 * with the same command; the stored samples (each choice's log-likelihood, every generation) and the printed
 * results must equal an uninterrupted run's byte for byte. Prints one line per trial and the count identical.
 *
 * Run: npx tsx bench/resume-trials.ts [--trials 20] [--seed 7] [--model fixtures/zoo/zoo-arithmetic.gguf]
 *        [--tasks synthetic_knowledge_gen,synthetic_knowledge_mc]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createRng } from "../src/core/rng.ts";
import { openStore } from "../src/store/sqlite/index.ts";

const ROOT = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    trials: { type: "string", default: "20" },
    seed: { type: "string", default: "7" },
    model: { type: "string", default: "fixtures/zoo/zoo-arithmetic.gguf" },
    tasks: { type: "string", default: "synthetic_knowledge_gen,synthetic_knowledge_mc" },
  },
});
const dir = mkdtempSync(join(tmpdir(), "mm-resume-"));
const args = (db: string) => [
  "--db",
  db,
  "eval",
  "--gguf",
  values.model,
  "--tasks",
  values.tasks,
  "--threads",
  "1",
  "--format",
  "json",
  "--window",
  "20",
];

function run(db: string): { child: ChildProcess; done: Promise<{ code: number | null; out: string; err: string }> } {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", "main.ts"), ...args(db)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  return { child, done: new Promise((res) => child.on("exit", (code) => res({ code, out, err }))) };
}

async function samples(db: string): Promise<{ runId: string | undefined; texts: string[] }> {
  const store = openStore(db);
  try {
    const r = (await store.evals.listRuns())[0];
    if (!r) return { runId: undefined, texts: [] };
    const texts: string[] = [];
    for await (const s of store.evals.iterateSamples(r.id)) {
      const { timings: _, ...rest } = s;
      texts.push(JSON.stringify(rest));
    }
    return { runId: r.id, texts };
  } finally {
    await store.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const refDb = join(dir, "ref.db");
const ref = await run(refDb).done;
if (ref.code !== 0) throw new Error(ref.err);
const refSamples = (await samples(refDb)).texts;
const refResults = JSON.stringify((JSON.parse(ref.out) as { results: unknown }).results);
console.log(`reference: ${refSamples.length} samples (${values.tasks} on ${values.model})`);

const rng = createRng(Number(values.seed));
let identical = 0;
const trials = Number(values.trials);
for (let t = 0; t < trials; t++) {
  const db = join(dir, `trial-${t}.db`);
  const at = rng.int(refSamples.length); // kill once this many samples are stored (0: as soon as it starts)
  const { child, done } = run(db);
  let killedAt = -1;
  while (child.exitCode === null) {
    await sleep(25);
    let n = 0;
    try {
      n = (await samples(db)).texts.length;
    } catch {
      // the database is not there yet
    }
    if (n >= at && child.exitCode === null) {
      child.kill("SIGKILL");
      killedAt = n;
      break;
    }
  }
  await done;
  const resumed = await run(db).done;
  const got = (await samples(db)).texts;
  const sameSamples = resumed.code === 0 && JSON.stringify(got) === JSON.stringify(refSamples);
  const sameResults =
    resumed.code === 0 && JSON.stringify((JSON.parse(resumed.out) as { results: unknown }).results) === refResults;
  if (sameSamples && sameResults) identical++;
  const diff = got.filter((s, i) => s !== refSamples[i]).length;
  console.log(
    `trial ${t + 1}: killed at ${killedAt >= 0 ? `${killedAt} samples` : "the end (finished first)"}; resumed exit ${resumed.code}; ` +
      `samples ${sameSamples ? "identical" : `${diff} differ`}; results ${sameResults ? "identical" : "differ"}`,
  );
}
console.log(`${identical}/${trials} resumed runs identical to the uninterrupted run`);
rmSync(dir, { recursive: true, force: true });
