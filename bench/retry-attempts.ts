/**
 * Attempts per request and wall time of an eval against a server that always fails (issue 19 item 8).
 *
 *   npx tsx bench/retry-attempts.ts [--requests 25] [--max-retries 4]
 *
 * A multiple-choice task of N one-choice documents runs through `modelmap eval --model flaky` with
 * `max_retries` set in modelmap.yaml, against test/support/fault-server.ts answering 503 to everything. The
 * baseline is what one retry layer allows: 1 + max_retries attempts per request; the ratio must be 1.00. (Before
 * the fix the harness retried a failed batch request by request: 9-10 attempts per request with max_retries 4,
 * 25 requests in 146 s; measured on the same machine.)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runCaptured } from "../test/support/cli.ts";
import { startFaultServer } from "../test/support/fault-server.ts";

const { values } = parseArgs({
  options: { requests: { type: "string", default: "25" }, "max-retries": { type: "string", default: "4" } },
});
const n = Number(values.requests);
const maxRetries = Number(values["max-retries"]);

const dir = mkdtempSync(join(tmpdir(), "mm-retry-bench-"));
mkdirSync(join(dir, "tasks"));
mkdirSync(join(dir, "data"));
const rows = Array.from({ length: n }, (_, i) =>
  JSON.stringify({ q: `Question number ${i}?`, options: ["yes"], gold: 0 }),
);
writeFileSync(join(dir, "data", "mc.jsonl"), `${rows.join("\n")}\n`);
writeFileSync(
  join(dir, "tasks", "rt.yaml"),
  'task: rt\ndata_files: { test: mc.jsonl }\noutput_type: multiple_choice\ndoc_to_text: "{{q}}"\ndoc_to_choice: options\ndoc_to_target: gold\nmetric_list: [{ metric: acc }]\n',
);
const server = await startFaultServer({ script: () => ({ kind: "status", status: 503 }) });
writeFileSync(
  join(dir, "modelmap.yaml"),
  `models:\n  - id: flaky\n    backend: openai\n    endpoints: ${server.url}\n    max_retries: ${maxRetries}\n`,
);
try {
  const t0 = performance.now();
  const r = await runCaptured([
    "--db",
    join(dir, "m.db"),
    "eval",
    "--config",
    join(dir, "modelmap.yaml"),
    "--model",
    "flaky",
    "--tasks",
    "rt",
    "--tasks-dir",
    join(dir, "tasks"),
    "--data-dir",
    join(dir, "data"),
    "--quiet",
  ]);
  const seconds = (performance.now() - t0) / 1000;
  const perRequest = new Map<string, number>();
  for (const q of server.requests) {
    const key = String(q.body?.prompt);
    perRequest.set(key, (perRequest.get(key) ?? 0) + 1);
  }
  const counts = [...perRequest.values()];
  const expected = 1 + maxRetries;
  const mean = counts.reduce((a, b) => a + b, 0) / Math.max(1, counts.length);
  console.log(
    `eval exit ${r.code}; ${perRequest.size} requests, ${server.requests.length} attempts in ${seconds.toFixed(1)} s`,
  );
  console.log(
    `attempts per request: min ${Math.min(...counts)}, max ${Math.max(...counts)}, mean ${mean.toFixed(2)}; baseline 1 + max_retries = ${expected}; ratio ${(mean / expected).toFixed(2)}`,
  );
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
