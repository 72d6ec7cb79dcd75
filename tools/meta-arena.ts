/**
 * Which public benchmark agrees best with Chatbot Arena? The meta-evaluation of issue 17 on the shared tables:
 *   A. Open LLM Leaderboard v2 (IFEval, BBH, MATH Lvl 5, GPQA, MuSR, MMLU-PRO; final table of 2025-03-21) against
 *      the arena ratings with 95% intervals of the merged arena x v2 table (2025-06-06), on the models both cover;
 *   B. MT-bench and the seven benchmarks of the observational-scaling instruct table against Bradley-Terry
 *      ratings fitted (seeded bootstrap) on the arena's 1.67M-battle pairwise counts of 2024-08-14, on the models
 *      whose names match exactly;
 *   C. the same instruct-table columns against that table's own Arena-Elo column, rank correlations only (its
 *      authors rescaled it to [0, 1] with an unpublished monotone transform, so it carries no interval).
 * Prints markdown tables (the README's) and writes the full JSON report, which tools/meta_check.py recomputes
 * independently with numpy/scipy (test/meta-scipy.test.ts runs both).
 *
 *   npx tsx tools/meta-arena.ts [--out FILE.json]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CsvTable } from "../src/capmap/csv.ts";
import { importFile } from "../src/capmap/service.ts";
import { ci, f2, pct } from "../src/cli/commands/meta.ts";
import { deriveSeed } from "../src/core/rng.ts";
import { type MetaBlock, metaEvaluate } from "../src/meta/service.ts";
import { pythonRng } from "../src/meta/signals.ts";
import { kendallTauB, spearman } from "../src/stats/agreement.ts";
import { bootstrapCorrelation, type CorrelationInterval } from "../src/stats/meta-eval.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import type { Store } from "../src/store/store.ts";
import { ARENA_MERGED, OBS_INSTRUCT, OPEN_LLM_V2, sharedData } from "../test/support/shared-data.ts";

export const ARENA_COUNTS = ["arena_pairwise_counts_20240814", "chatbotarena_20240814.json"];
const SEED = 42;
const BOOTSTRAP = 1000;

export interface RankOnlyRow {
  signal: string;
  models: string[];
  x: number[];
  y: number[];
  seeds: { spearman: number; kendall: number };
  spearman: CorrelationInterval;
  kendall: CorrelationInterval;
}

export interface RealTableReport {
  settings: { seed: number; bootstrap: number };
  /** A: Open LLM Leaderboard v2 vs the arena table; B: instruct table vs arena battle counts. */
  blocks: MetaBlock[];
  /** C: instruct-table columns vs its own rescaled Arena-Elo, rank correlations only. */
  rankOnly: RankOnlyRow[];
}

/** Imports the tables into `store` and runs the meta-evaluations (the store is left holding them). */
export async function realTableReport(store: Store, rounds = BOOTSTRAP): Promise<RealTableReport> {
  await importFile(store, "open-llm-leaderboard", sharedData(...OPEN_LLM_V2));
  await importFile(store, "arena", sharedData(...ARENA_MERGED));
  await importFile(store, "arena", sharedData(...ARENA_COUNTS));
  await importFile(store, "obs-scaling", sharedData(...OBS_INSTRUCT));
  const opts = { seed: SEED, bootstrap: rounds, save: false };
  const a = await metaEvaluate(store, {
    ...opts,
    signals: ["open-llm-leaderboard-v2"],
    reference: "arena-leaderboard/arena-elo",
  });
  const b = await metaEvaluate(store, {
    ...opts,
    signals: ["obs-scaling:instruct_llm_benchmark_eval"],
    reference: "arena-battles:chatbotarena_20240814/bt-rating:chat",
  });
  return {
    settings: { seed: SEED, bootstrap: rounds },
    blocks: [...a.blocks, ...b.blocks],
    rankOnly: rankOnly(rounds),
  };
}

const INSTRUCT_COLUMNS = ["MTBench", "MMLU", "ARC-C", "HellaSwag", "Winogrande", "TruthfulQA", "GSM8K", "HumanEval"];

function rankOnly(rounds: number): RankOnlyRow[] {
  const file = sharedData(...OBS_INSTRUCT);
  const t = new CsvTable(readFileSync(file, "utf8"), file);
  return INSTRUCT_COLUMNS.map((col) => {
    const models: string[] = [];
    const x: number[] = [];
    const y: number[] = [];
    for (const row of t.rows) {
      const arena = Number(t.get(row, "Arena-Elo") || Number.NaN);
      const v = Number(t.get(row, col) || Number.NaN);
      if (!Number.isFinite(arena) || !Number.isFinite(v)) continue;
      models.push(t.get(row, "Model") as string);
      x.push(v);
      y.push(arena);
    }
    const name = `instruct/${col}`;
    const seeds = { spearman: deriveSeed(SEED, `${name}:spearman`), kendall: deriveSeed(SEED, `${name}:kendall`) };
    return {
      signal: name,
      models,
      x,
      y,
      seeds,
      spearman: bootstrapCorrelation(x, y, spearman, rounds, pythonRng(seeds.spearman)),
      kendall: bootstrapCorrelation(x, y, kendallTauB, rounds, pythonRng(seeds.kendall)),
    };
  });
}

const short = (s: string) =>
  s.replace(/^open-llm-leaderboard-v2\//, "v2 ").replace(/^obs-scaling:instruct_llm_benchmark_eval\//, "");

/** The README table for one block, best Kendall tau first. */
export function markdownBlock(b: MetaBlock): string {
  const rows = [...b.rows].sort((x, y) => (y.kendall?.estimate ?? -2) - (x.kendall?.estimate ?? -2));
  const lines = [
    `Reference: ${b.reference.signal} (${b.reference.models} models, separability ${pct(b.reference.separability)})`,
    "",
    "| signal | models | Spearman [95% CI] | Kendall tau [95% CI] | separability | agreement with CI | Brier | BenchBench z |",
    "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) =>
        `| ${short(r.signal)} | ${r.models} | ${ci(r.spearman)} | ${ci(r.kendall)} | ${pct(r.separability)} | ${f2(r.agreement?.score)} | ${f2(r.brier)} | ${f2(r.benchbench?.z)} |`,
    ),
  ];
  const best = rows[0];
  if (best?.kendall) lines.push("", `Agrees best: ${short(best.signal)} (Kendall ${f2(best.kendall.estimate)}).`);
  return `${lines.join("\n")}\n`;
}

export function markdownRankOnly(rows: RankOnlyRow[]): string {
  const sorted = [...rows].sort((a, b) => b.kendall.estimate - a.kendall.estimate);
  return `${[
    "Reference: the instruct table's own Arena-Elo column (rescaled by its authors; rank correlations only)",
    "",
    "| signal | models | Spearman [95% CI] | Kendall tau [95% CI] |",
    "| --- | ---: | --- | --- |",
    ...sorted.map(
      (r) => `| ${r.signal.replace("instruct/", "")} | ${r.models.length} | ${ci(r.spearman)} | ${ci(r.kendall)} |`,
    ),
  ].join("\n")}\n`;
}

if (process.argv[1]?.endsWith("meta-arena.ts")) {
  const outAt = process.argv.indexOf("--out");
  const out = outAt > 0 ? process.argv[outAt + 1] : undefined;
  const dir = mkdtempSync(join(tmpdir(), "modelmap-meta-arena-"));
  const store = openStore(join(dir, "m.db"));
  try {
    const t0 = performance.now();
    const report = await realTableReport(store);
    const titles = [
      "A. Open LLM Leaderboard v2 vs Chatbot Arena (merged arena x v2 table)",
      "B. Instruct-model benchmarks and MT-bench vs Chatbot Arena (Bradley-Terry on the 2024-08-14 battle counts)",
    ];
    report.blocks.forEach((b, i) => {
      process.stdout.write(`### ${titles[i] ?? b.reference.signal}\n\n${markdownBlock(b)}\n`);
    });
    process.stdout.write(
      `### C. Instruct-model benchmarks and MT-bench vs the table's Arena-Elo\n\n${markdownRankOnly(report.rankOnly)}\n`,
    );
    process.stdout.write(
      `seed ${report.settings.seed}, ${report.settings.bootstrap} bootstrap rounds over models; ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    if (out) {
      writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
      process.stdout.write(`wrote ${out}\n`);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
