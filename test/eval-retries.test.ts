/**
 * One retry layer: against a server that always fails, each request of an eval reaches the server exactly
 * 1 + max_retries times (the transport's retries), whether it was sent in a batch (log-likelihood) or alone
 * (generation). A failed batch used to be sent again request by request, doubling the attempts.
 */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCaptured } from "./support/cli.ts";
import { makeEvalFixture } from "./support/eval-fixture.ts";
import { type FaultServer, startFaultServer } from "./support/fault-server.ts";

const servers: FaultServer[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("attempts per request = 1 + max_retries against a server that always fails; the run goes on", async () => {
  const f = makeEvalFixture({ mcDocs: 3, genDocs: 2 });
  dirs.push(f.dir);
  const s = await startFaultServer({ script: () => ({ kind: "status", status: 503 }) });
  servers.push(s);
  const config = join(f.dir, "modelmap.yaml");
  writeFileSync(
    config,
    `models:\n  - id: flaky\n    backend: openai\n    endpoints: ${s.url}\n    max_retries: 2\n    concurrency: 4\n`,
  );
  const r = await runCaptured([
    "--db",
    join(f.dir, "m.db"),
    "eval",
    "--config",
    config,
    "--model",
    "flaky",
    "--tasks",
    "toy_mc,toy_gen",
    "--tasks-dir",
    f.tasksDir,
    "--data-dir",
    f.dataDir,
    "--quiet",
  ]);
  assert.match(r.err, /sample\(s\) failed|failed/, r.err);
  const perRequest = new Map<string, number>();
  for (const q of s.requests) {
    const key = JSON.stringify([q.path, q.body?.prompt ?? q.body?.messages]);
    perRequest.set(key, (perRequest.get(key) ?? 0) + 1);
  }
  const kinds = new Set(s.requests.map((q) => q.path));
  assert.deepEqual([...kinds].sort(), ["/v1/completions"], "scoring and generation both go to /completions here");
  // 3 documents x 4 choices (one few-shot context each) and 2 generations, each attempted 3 times.
  assert.ok(perRequest.size >= 3 * 4 + 2, `${perRequest.size} distinct requests`);
  const counts = [...perRequest.values()];
  assert.deepEqual(
    counts.filter((c) => c !== 3),
    [],
    `attempts per request: ${JSON.stringify(Object.fromEntries(perRequest))}`,
  );
  assert.equal(s.requests.length, 3 * perRequest.size);
});
