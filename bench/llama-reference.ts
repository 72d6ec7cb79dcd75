/**
 * HellaSwag against the real anchor (issue 14): llama.cpp's own `llama-perplexity --hellaswag`, built from the
 * llama.cpp source node-llama-cpp ships, and modelmap on the same first N items (zero-shot, same threads), run back
 * to back in rounds. Prints items/s, wall, CPU seconds and peak RSS for
 *  - llama-perplexity as built here (cmake -DGGML_NATIVE=OFF: the AVX2 kernels),
 *  - the same llama-perplexity on node-llama-cpp's engine libraries, with ggml's choice of CPU variant (what
 *    node-llama-cpp runs by itself) and with the variant modelmap chooses (cpu-variant.ts; the kernels modelmap
 *    runs on),
 *  - modelmap in-process: the backend calls of `runEval` (the requests `modelmap eval` sends),
 *  - `modelmap eval` end to end (a fresh process of the installed bin, compiled first if the sources changed:
 *    start-up, model load, dataset, store),
 * and the share of items where llama.cpp's choice rule (mean log-prob per token after the prefix the four endings
 * share) applied to modelmap's log-likelihoods picks the ending llama-perplexity picks (must be 100%).
 *
 * llama-perplexity does not print its choices, only a running accuracy, and it visits the items in a random
 * order (std::mt19937 seeded 1). The bench runs it once with every label set to each of 0..3 (so "correct"
 * means "chose k") and replays the order with a 10-line C++ program built by the same compiler.
 *
 * Run: npx tsx bench/llama-reference.ts [--items 100] [--rounds 4] [--threads 1] [--models llama2,zoo] [--no-e2e]
 *        [--before]   (also, once: the in-process run through node-llama-cpp's probabilities, as before the
 *                      native scorer; MODELMAP_NATIVE_SCORER=0)
 * The first run builds llama-perplexity into $MODELMAP_CACHE_DIR/llama-ref (about 10 minutes on 2 cores).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import Bunzip from "seek-bzip";
import { openLlamaCppBackend } from "../src/backends/llama-cpp/backend.ts";
import { cacheBase } from "../src/backends/llama-cpp/native-build.ts";
import type { LoglikelihoodRequest, LoglikelihoodResult } from "../src/backends/types.ts";
import { runEval } from "../src/runner/run-eval.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import { TaskRegistry } from "../src/tasks/loader.ts";
import { buildLlamaTool, engineLibraries, engineVariantFor, median, sh, timed } from "./llama-anchor.ts";

const ROOT = resolve(import.meta.dirname, "..");
const DATA = resolve(ROOT, "..", "shared", "data");
const HELLASWAG = join(DATA, "hellaswag", "hellaswag_val_full.txt.bz2");
const MODELS: Record<string, string> = {
  llama2: join(DATA, "tiny_gguf_models", "llama-2-tiny-random.gguf"),
  zoo: join(ROOT, "fixtures", "zoo", "zoo-generalist.gguf"),
};
/** llama-perplexity's default per-sequence context (-c 512); the in-process backend gets the same window. */
const WINDOW = 512;

const { values } = parseArgs({
  options: {
    items: { type: "string", default: "100" },
    rounds: { type: "string", default: "4" },
    threads: { type: "string", default: "1" },
    models: { type: "string", default: "llama2,zoo" },
    "no-e2e": { type: "boolean", default: false },
    before: { type: "boolean", default: false },
    child: { type: "string" },
    out: { type: "string" },
  },
});
const N = Number(values.items);
const THREADS = Number(values.threads);

// --- the in-process measurement, in a child process of its own (its peak RSS is its own) ---
if (values.child !== undefined) {
  await childInProcess(values.child, values.out as string);
  process.exit(0);
}

async function childInProcess(modelPath: string, out: string): Promise<void> {
  const t0 = performance.now();
  const be = await openLlamaCppBackend({ modelPath, threads: THREADS, contextSize: WINDOW, env: process.env });
  const loadMs = performance.now() - t0;
  if (!be.nativeScorerStatus.ok) console.error(`native scorer unavailable: ${be.nativeScorerStatus.reason}`);
  const calls: Array<{ reqs: LoglikelihoodRequest[]; res: LoglikelihoodResult[] }> = [];
  let scoringMs = 0;
  let scoringCpu = 0;
  const real = be.loglikelihood.bind(be);
  be.loglikelihood = async (reqs, o) => {
    const w = performance.now();
    const c = process.cpuUsage();
    const res = await real(reqs, o);
    const d = process.cpuUsage(c);
    scoringMs += performance.now() - w;
    scoringCpu += (d.user + d.system) / 1e6;
    calls.push({ reqs, res });
    return res;
  };
  const dir = mkdtempSync(join(tmpdir(), "mm-llamaref-"));
  const store = openStore(join(dir, "db.sqlite"));
  const reg = TaskRegistry.load([join(ROOT, "tasks")]);
  const { tasks, groups } = reg.resolve(["hellaswag"]);
  const e0 = performance.now();
  await runEval(store, be, {
    modelId: "bench",
    tasks,
    groups,
    dataDir: DATA,
    prompt: { chatTemplate: false, fewshotAsMultiturn: false, seed: 1234, numFewshot: 0 },
    limit: N,
  });
  const evalMs = performance.now() - e0;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  // Full token sequences (BOS + context + continuation, tokenized whole as llama-perplexity does) per request.
  const bos = (await be.tokenize(be.bosToken))[0] as number;
  const scored = [];
  for (const { reqs, res } of calls)
    for (const [i, r] of reqs.entries()) {
      const full = [bos, ...(await be.tokenize(r.context + r.continuation))];
      scored.push({ ...r, full, tokens: res[i]?.tokens ?? [], tokenLogprobs: res[i]?.tokenLogprobs ?? [] });
    }
  await be.close();
  writeFileSync(
    out,
    JSON.stringify({
      loadMs,
      scoringMs,
      scoringCpu,
      evalMs,
      maxRssKb: process.resourceUsage().maxRSS,
      native: be.nativeScorerStatus.ok,
      cpuVariant: be.cpuVariantStatus,
      scored,
    }),
  );
}

/** The order in which llama-perplexity visits n tasks (its std::mt19937(1) draws), by the same compiler. */
function anchorOrder(n: number): number[] {
  const dir = join(cacheBase(process.env), "llama-ref", "hellaswag-order");
  const exe = join(dir, "order");
  if (!existsSync(exe)) {
    mkdirSync(dir, { recursive: true });
    const cpp = join(dir, "order.cpp");
    // As perplexity.cpp's hellaswag_score: draw among the tasks left, take it, erase it.
    writeFileSync(
      cpp,
      `#include <cstdio>\n#include <cstdlib>\n#include <random>\n#include <vector>\nint main(int argc, char** argv) {\n  size_t n = std::strtoull(argv[1], nullptr, 10);\n  std::mt19937 rng(1);\n  std::vector<size_t> left(n);\n  for (size_t i = 0; i < n; i++) left[i] = i;\n  for (size_t i = 0; i < n; i++) {\n    std::uniform_int_distribution<size_t> dist(0, left.size() - 1);\n    size_t k = dist(rng);\n    std::printf("%zu\\n", left[k]);\n    left.erase(left.begin() + k);\n  }\n}\n`,
    );
    sh(process.env.CXX ?? "c++", ["-O1", cpp, "-o", exe], { what: "building the task-order helper" });
  }
  return sh(exe, [String(n)], { what: "task order" })
    .stdout.trim()
    .split("\n")
    .map(Number);
}

/** Correct (1) or not (0) for each task in visiting order, from the running accuracy lines. */
function correctness(stdout: string, n: number): number[] {
  const out: number[] = [];
  let prev = 0;
  for (const m of stdout.matchAll(/^(\d+)\t([\d.]+)%\t\[/gm)) {
    const i = Number(m[1]);
    const correct = Math.round((Number(m[2]) * i) / 100);
    out.push(correct - prev);
    prev = correct;
  }
  if (out.length !== n) throw new Error(`llama-perplexity reported ${out.length} of ${n} tasks`);
  return out;
}

/** Seconds from the process start to the line that follows the model load (its log lines carry timestamps). */
function loadSeconds(stderr: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)\.\d+ I hellaswag_score : selecting/m.exec(stderr);
  return m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) / 1000 : Number.NaN;
}

// --- the run ---
const lines = Bunzip.decode(readFileSync(HELLASWAG)).toString("utf8").split("\n");
if (lines.length < 6 * N) throw new Error(`${HELLASWAG} has fewer than ${N} items`);
const items = Array.from({ length: N }, (_, i) => ({
  context: lines[6 * i] as string,
  label: Number(lines[6 * i + 1]),
  endings: lines.slice(6 * i + 2, 6 * i + 6),
}));
const work = mkdtempSync(join(tmpdir(), "mm-llamaref-"));
const labelled = [0, 1, 2, 3].map((k) => {
  const f = join(work, `hellaswag-${N}-label${k}.txt`);
  writeFileSync(f, `${items.flatMap((it) => [it.context, String(k), ...it.endings]).join("\n")}\n`);
  return f;
});
const anchor = buildLlamaTool("llama-perplexity");
if (!values["no-e2e"])
  sh(process.execPath, [join(ROOT, "tools", "build.mjs"), "--if-stale", "--quiet"], { what: "npm run build" });
const engine = engineLibraries();
const order = anchorOrder(N);
const rounds = Number(values.rounds);
console.log(
  `HellaSwag, first ${N} items of ${HELLASWAG}, zero-shot, ${THREADS} thread(s); ${rounds} rounds, medians shown. ` +
    `CPU: ${cpus()[0]?.model} x${cpus().length}; load average at start ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
);

for (const name of values.models.split(",")) {
  const model = MODELS[name];
  if (!model || !existsSync(model)) throw new Error(`unknown or missing model '${name}'`);
  const rows: Record<string, { wall: number[]; cpu: number[]; rss: number[]; scoring: number[] }> = {};
  const add = (row: string, wall: number, cpu: number, rss: number, scoring: number) => {
    rows[row] ??= { wall: [], cpu: [], rss: [], scoring: [] };
    const r = rows[row];
    r.wall.push(wall);
    r.cpu.push(cpu);
    r.rss.push(rss);
    r.scoring.push(scoring);
  };
  // The variant modelmap's engine will run on (the child reports what it did run on).
  const chosen = await engineVariantFor(model);
  const engineChosen = chosen === "ggml" ? undefined : engineLibraries(chosen);
  const picks = new Map<number, Set<number>>(); // item -> endings llama-perplexity picked
  let inProcess:
    | {
        scored: Array<{
          context: string;
          continuation: string;
          full: number[];
          tokens: number[];
          tokenLogprobs: number[];
        }>;
        native: boolean;
        cpuVariant?: { chosen: string; reason: string; libraries: string[] };
      }
    | undefined;
  const lpArgs = (k: number) => [
    "-m",
    model,
    "-f",
    labelled[k] as string,
    "--hellaswag",
    "--hellaswag-tasks",
    String(N),
    "-t",
    String(THREADS),
  ];
  for (let r = 0; r < Math.max(rounds, 4); r++) {
    const k = r % 4;
    // 1. llama-perplexity as built (also one run per label, for its choices).
    const a = timed(anchor, lpArgs(k), { what: "llama-perplexity" });
    correctness(a.stdout, N).forEach((c, pos) => {
      const item = order[pos] as number;
      if (c === 1) picks.set(item, (picks.get(item) ?? new Set()).add(k));
    });
    if (r >= rounds) continue;
    add("llama-perplexity (AVX2 build)", a.wall, a.cpu, a.rssMb, a.wall - loadSeconds(a.stderr));
    // 2. The same program on node-llama-cpp's engine libraries.
    if (engine) {
      const e = timed(anchor, lpArgs(k), {
        cwd: engine.cwd,
        env: { ...process.env, LD_LIBRARY_PATH: engine.libDir },
        what: "llama-perplexity on node-llama-cpp's libraries",
      });
      add("llama-perplexity (engine libs, ggml's)", e.wall, e.cpu, e.rssMb, e.wall - loadSeconds(e.stderr));
    }
    if (engineChosen) {
      const e = timed(anchor, lpArgs(k), {
        cwd: engineChosen.cwd,
        env: { ...process.env, LD_LIBRARY_PATH: engineChosen.libDir },
        what: `llama-perplexity on node-llama-cpp's libraries, CPU variant ${chosen}`,
      });
      add(`llama-perplexity (engine libs, ${chosen})`, e.wall, e.cpu, e.rssMb, e.wall - loadSeconds(e.stderr));
    }
    // 3. modelmap in-process (runEval's backend calls), in a child process; with --before, once more (first round)
    // through node-llama-cpp's probabilities.
    for (const before of values.before && r === 0 ? [false, true] : [false]) {
      const out = join(work, `inproc-${name}-${r}-${before}.json`);
      const c = timed(
        process.execPath,
        [
          "--import",
          "tsx",
          join(ROOT, "bench", "llama-reference.ts"),
          "--child",
          model,
          "--out",
          out,
          "--items",
          String(N),
          "--threads",
          String(THREADS),
        ],
        {
          cwd: ROOT,
          what: "modelmap in-process",
          env: before ? { ...process.env, MODELMAP_NATIVE_SCORER: "0" } : process.env,
        },
      );
      const ip = JSON.parse(readFileSync(out, "utf8")) as {
        scoringMs: number;
        scoringCpu: number;
        maxRssKb: number;
        native: boolean;
        cpuVariant?: { chosen: string; reason: string; libraries: string[] };
        scored: NonNullable<typeof inProcess>["scored"];
      };
      const row = before ? "before: node-llama-cpp probabilities" : "modelmap in-process (backend calls)";
      add(row, ip.scoringMs / 1000, ip.scoringCpu, c.rssMb, ip.scoringMs / 1000);
      if (!before) inProcess = ip;
    }
    // 4. modelmap eval, end to end.
    if (!values["no-e2e"]) {
      const db = join(work, `e2e-${name}-${r}.db`);
      const e = timed(
        process.execPath,
        [
          join(ROOT, "bin", "modelmap.js"),
          "--db",
          db,
          "eval",
          "--gguf",
          model,
          "--tasks",
          "hellaswag",
          "--num-fewshot",
          "0",
          "--limit",
          String(N),
          "--threads",
          String(THREADS),
          "--data-dir",
          DATA,
          "--quiet",
        ],
        { cwd: ROOT, what: "modelmap eval" },
      );
      add("modelmap eval (whole process)", e.wall, e.cpu, e.rssMb, Number.NaN);
    }
  }
  // llama.cpp's rule on modelmap's log-likelihoods.
  if (!inProcess) throw new Error("no in-process run");
  const byText = new Map(inProcess.scored.map((s) => [`${s.context}\u0000${s.continuation}`, s]));
  let same = 0;
  let comparable = 0;
  let mmCorrect = 0;
  let lpCorrect = 0;
  const disagreements: string[] = [];
  for (const [i, it] of items.entries()) {
    const ss = it.endings.map((e) => byText.get(`${it.context}\u0000 ${e}`));
    if (ss.some((s) => s === undefined)) throw new Error(`item ${i}: modelmap sent different texts (preprocessing?)`);
    const s4 = ss as NonNullable<(typeof ss)[number]>[];
    let cp = 0;
    while (s4.every((s) => s.full[cp] !== undefined && s.full[cp] === s4[0]?.full[cp])) cp++;
    const means = s4.map((s) => {
      const ctxLen = s.full.length - s.tokens.length;
      if (cp < ctxLen) return Number.NaN;
      const lps = s.tokenLogprobs.slice(cp - ctxLen);
      return lps.reduce((a, b) => a + b, 0) / lps.length;
    });
    if (means.some(Number.isNaN)) continue;
    comparable++;
    let best = 0;
    for (let k = 1; k < 4; k++) if ((means[k] as number) > (means[best] as number)) best = k;
    const lp = picks.get(i);
    if (lp?.size === 1 && lp.has(best)) same++;
    else disagreements.push(`item ${i}: modelmap ${best}, llama-perplexity ${[...(lp ?? [])].join("/") || "none"}`);
    if (best === it.label) mmCorrect++;
    if (lp?.size === 1 && lp.has(it.label)) lpCorrect++;
  }
  const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "-");
  console.log(`\n${name}: ${model}${inProcess.native ? "" : "  (NATIVE SCORER UNAVAILABLE: fallback path)"}`);
  const cv = inProcess.cpuVariant;
  console.log(
    `modelmap's CPU variant: ${cv ? `${cv.chosen} (${cv.reason}; ${cv.libraries.map((l) => l.split("/").at(-1)).join(", ")})` : "?"}`,
  );
  console.log(
    `${"".padEnd(38)}${"items/s".padStart(9)}${"wall s".padStart(9)}${"CPU s".padStart(9)}${"RSS MB".padStart(9)}${"after load s".padStart(14)}${"x anchor".padStart(10)}`,
  );
  const anchorRow = rows["llama-perplexity (AVX2 build)"];
  const anchorWall = median(anchorRow?.wall ?? []);
  const anchorScoring = median(anchorRow?.scoring ?? []);
  for (const [row, v] of Object.entries(rows)) {
    const wall = median(v.wall);
    const scoring = median(v.scoring);
    // In-process rows compare with the anchor after its model load; whole processes with its whole wall.
    const ratio =
      row.includes("in-process") || row.startsWith("before")
        ? wall / anchorScoring
        : row.includes("whole")
          ? wall / anchorWall
          : scoring / anchorScoring;
    console.log(
      `${row.padEnd(38)}${fmt(N / wall, 1).padStart(9)}${fmt(wall).padStart(9)}${fmt(median(v.cpu)).padStart(9)}${fmt(median(v.rss), 0).padStart(9)}${fmt(scoring).padStart(14)}${fmt(ratio).padStart(10)}`,
    );
  }
  console.log(
    `identical choices under llama.cpp's rule: ${same}/${comparable} (${fmt((100 * same) / Math.max(1, comparable), 1)}%)` +
      `${comparable < N ? `; ${N - comparable} items where the endings change the context's tokens` : ""}; ` +
      `acc_norm llama-perplexity ${lpCorrect}/${N}, modelmap by the same rule ${mmCorrect}/${N}`,
  );
  for (const d of disagreements.slice(0, 10)) console.log(`  ${d}`);
}
console.log(
  `\nload average at end ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
rmSync(work, { recursive: true, force: true });
