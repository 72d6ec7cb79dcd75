/**
 * `modelmap search` latency over the real map: the Open LLM Leaderboard v1 and v2 tables, the arena table and
 * the obs-scaling tables imported (10,948 models). Reports the cold first search (which builds the in-memory
 * snapshot) and warm searches (median, p95, max over every category x filter combination), against a
 * baseline in the same process that answers the same query with SQL each time (filtered cells ordered by
 * estimate, plus a COUNT per result for its rank).    npx tsx bench/search.ts [ROUNDS]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importFile, type SearchFilters, search } from "../src/capmap/service.ts";
import type { CellQuery } from "../src/store/capmap.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import type { Store } from "../src/store/store.ts";
import {
  ARENA_MERGED,
  OBS_BASE,
  OBS_INSTRUCT,
  OBS_V2,
  OPEN_LLM_V1,
  OPEN_LLM_V2,
  sharedData,
} from "../test/support/shared-data.ts";

const ROUNDS = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), "modelmap-bench-search-"));
const store = openStore(join(dir, "bench.db"));

async function sqlSearch(s: Store, category: string, f: SearchFilters, top: number) {
  const q: CellQuery = { category };
  if (f.maxParams !== undefined) q.maxParams = f.maxParams;
  if (f.license !== undefined) q.license = f.license;
  const total = await s.capmap.countCells(q);
  const hits = await s.capmap.cells({ ...q, limit: top });
  const bar = await s.capmap.maxLowerBound(q);
  const ranks: number[] = [];
  for (const h of hits) ranks.push(1 + (await s.capmap.countCells({ ...q, loAbove: h.hi })));
  const tied = bar === undefined ? 0 : await s.capmap.countCells({ ...q, hiAtLeast: bar });
  return { total, hits, ranks, tied };
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
  return { median: at(0.5), p95: at(0.95), max: s[s.length - 1] as number };
}

try {
  for (const f of [OPEN_LLM_V1, OPEN_LLM_V2]) await importFile(store, "open-llm-leaderboard", sharedData(...f));
  await importFile(store, "arena", sharedData(...ARENA_MERGED));
  for (const f of [OBS_BASE, OBS_INSTRUCT, OBS_V2]) await importFile(store, "obs-scaling", sharedData(...f));
  const models = await store.capmap.modelCount();
  const categories = await store.capmap.categories();
  console.log(`map: ${models} models, ${categories.map((c) => `${c.category} ${c.models}`).join(", ")}`);

  const filters: SearchFilters[] = [{}, { maxParams: 8 }, { maxParams: 8, license: "apache-2.0" }, { license: "mit" }];
  let t = performance.now();
  const first = await search(store, "math", { maxParams: 8, license: "apache-2.0" }, { top: 10 });
  const cold = performance.now() - t;
  const fast: number[] = [];
  const slow: number[] = [];
  const answers = new Map<string, Awaited<ReturnType<typeof search>>>();
  // The two are timed in separate loops so that the baseline's garbage is not collected on the fast path's clock.
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of categories) {
      for (const f of filters) {
        t = performance.now();
        const a = await search(store, c.category, f, { top: 10 });
        fast.push(performance.now() - t);
        answers.set(`${c.category} ${JSON.stringify(f)}`, a);
      }
    }
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of categories) {
      for (const f of filters) {
        t = performance.now();
        const b = await sqlSearch(store, c.category, f, 10);
        slow.push(performance.now() - t);
        const a = answers.get(`${c.category} ${JSON.stringify(f)}`);
        if (
          !a ||
          a.total !== b.total ||
          a.tiedForFirstCount !== b.tied ||
          a.results.some((h, i) => h.rank !== b.ranks[i])
        )
          throw new Error(`snapshot and SQL disagree on ${c.category} ${JSON.stringify(f)}`);
      }
    }
  }
  const sf = stats(fast);
  const ss = stats(slow);
  console.log(`example: math, <= 8B, apache-2.0: ${first.total} models, ${first.tiedForFirstCount} tied for first`);
  console.log(`cold first search (builds the snapshot): ${cold.toFixed(1)} ms`);
  console.log(
    `warm search, ${fast.length} queries: median ${sf.median.toFixed(2)} ms, p95 ${sf.p95.toFixed(2)} ms, max ${sf.max.toFixed(2)} ms (target: under 50 ms)`,
  );
  console.log(
    `baseline (SQL per query):  median ${ss.median.toFixed(2)} ms, p95 ${ss.p95.toFixed(2)} ms, max ${ss.max.toFixed(2)} ms`,
  );
  console.log(`speed-up (median): ${(ss.median / sf.median).toFixed(1)}x`);
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
