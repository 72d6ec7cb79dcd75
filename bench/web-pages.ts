/**
 * Per-page server times with the 7,000-model Open LLM Leaderboard v1 table (plus v2, the arena table and the
 * obs-scaling tables) imported. Requests go through a real HTTP server on 127.0.0.1, like a browser's.
 * Prints the median and max of N requests per page and, as the baseline measured in the same process, the
 * time of /healthz (the server's fixed overhead).   npx tsx bench/web-pages.ts [N]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importFile } from "../src/capmap/service.ts";
import { createApp } from "../src/http/app.ts";
import { listen } from "../src/http/listen.ts";
import { ROUTE_MODULES } from "../src/http/routes/index.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import {
  ARENA_MERGED,
  OBS_BASE,
  OBS_INSTRUCT,
  OBS_V2,
  OPEN_LLM_V1,
  OPEN_LLM_V2,
  sharedData,
} from "../test/support/shared-data.ts";

const N = Number(process.argv[2] ?? 15);
const dir = mkdtempSync(join(tmpdir(), "modelmap-bench-web-"));
const store = openStore(join(dir, "bench.db"));
try {
  const t0 = performance.now();
  await importFile(store, "open-llm-leaderboard", sharedData(...OPEN_LLM_V1));
  await importFile(store, "open-llm-leaderboard", sharedData(...OPEN_LLM_V2));
  await importFile(store, "arena", sharedData(...ARENA_MERGED));
  for (const f of [OBS_BASE, OBS_INSTRUCT, OBS_V2]) await importFile(store, "obs-scaling", sharedData(...f));
  console.log(
    `imported ${await store.capmap.modelCount()} models in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const server = await listen(createApp({ store }, ROUTE_MODULES), { port: 0 });
  const pages = [
    "/healthz",
    "/map",
    "/map?max_params=8&license=apache-2.0",
    "/benchmarks",
    "/benchmarks?sort=gsm8k&dir=desc&page=20",
    "/benchmarks?source=open-llm-leaderboard-v2&q=qwen&max_params=8",
    "/arena",
    "/search?category=math&max_params=8&license=apache-2.0",
    "/search?category=knowledge&top=50",
    "/models/mistralai/Mistral-7B-v0.1",
    "/card/mistralai/Mistral-7B-v0.1",
    "/compare?a=mistralai/Mistral-7B-v0.1&b=meta-llama/Llama-2-7b-hf",
    "/runs",
    "/api/map",
    "/api/benchmarks?page=3",
    "/api/search?category=reasoning&max_params=8",
  ];
  const rows: Array<[string, number, number, number]> = [];
  for (const p of pages) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      const res = await fetch(server.url + p);
      const body = await res.text();
      times.push(performance.now() - t);
      if (res.status !== 200) throw new Error(`${p}: HTTP ${res.status}: ${body.slice(0, 200)}`);
      bytes = body.length;
    }
    times.sort((a, b) => a - b);
    rows.push([p, times[Math.floor(times.length / 2)] as number, times[times.length - 1] as number, bytes]);
  }
  const base = rows[0]?.[1] ?? 1;
  console.log(
    `\n${"page".padEnd(66)} ${"median ms".padStart(9)} ${"max ms".padStart(8)} ${"x healthz".padStart(9)} ${"KB".padStart(6)}`,
  );
  for (const [p, med, max, bytes] of rows) {
    console.log(
      `${p.padEnd(66)} ${med.toFixed(1).padStart(9)} ${max.toFixed(1).padStart(8)} ${(med / base).toFixed(1).padStart(9)} ${(bytes / 1024).toFixed(0).padStart(6)}`,
    );
  }
  const worst = rows.slice(1).reduce((m, r) => Math.max(m, r[2]), 0);
  console.log(`\nslowest page (max over ${N} requests): ${worst.toFixed(1)} ms (target: under 300 ms)`);
  await server.close();
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
