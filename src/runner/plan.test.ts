import assert from "node:assert/strict";
import { test } from "node:test";
import type { PlannedRequest } from "../tasks/instance.ts";
import { makeBatches, requestKey } from "./plan.ts";
import { createProgress, progressLine } from "./progress.ts";

test("batches: longest context first, a context's choices together, deterministic", () => {
  const model = { backend: "x", name: "m" };
  const reqs: PlannedRequest[] = [];
  for (const ctx of ["short", "a much longer context here", "mid context"])
    for (const c of [" a", " bb", " c"]) reqs.push({ kind: "loglikelihood", context: ctx, continuation: c });
  reqs.push({ kind: "generate", prompt: "p", params: { maxTokens: 4 } });
  const pending = new Map(reqs.map((r) => [requestKey(model, r), r]));
  const batches = makeBatches(pending, 4);
  const ll = batches.filter((b) => b.kind === "loglikelihood");
  assert.deepEqual(
    ll.map((b) =>
      b.requests.map((r) => (r.kind === "loglikelihood" ? r.context : "")).filter((c, i, a) => a.indexOf(c) === i),
    ),
    [["a much longer context here"], ["mid context"], ["short"]],
    "3 choices per context never straddle a batch of 4",
  );
  assert.equal(batches.filter((b) => b.kind === "generate").length, 1);
  const again = makeBatches(new Map([...pending].reverse()), 4);
  assert.deepEqual(
    again.map((b) => b.keys),
    batches.map((b) => b.keys),
  );
  // The key changes with anything that changes the answer.
  const r = reqs[0] as PlannedRequest;
  assert.notEqual(requestKey(model, r), requestKey({ ...model, fileSha256: "ab" }, r));
  assert.notEqual(requestKey(model, r, 0), requestKey(model, r, 1));
});

test("progress: a redrawn bar on a terminal, throttled plain lines otherwise", () => {
  assert.equal(progressLine(50, 200, 2, 10, 8), "[##------] 50/200 25.0% 5.0 items/s ETA 0:30 errors 2");
  let t = 0;
  let tty = "";
  const bar = createProgress({ write: (s: string) => (tty += s), isTTY: true }, { now: () => t });
  bar.start(10);
  t = 1000;
  bar.update(5, 0);
  bar.finish(10, 0);
  assert.match(tty, /^\r\x1b\[2K\[/);
  assert.ok(tty.endsWith("errors 0\n"));
  let plain = "";
  const lines = createProgress({ write: (s: string) => (plain += s) }, { now: () => t, intervalMs: 5000 });
  lines.start(10);
  for (let i = 1; i <= 9; i++) {
    t += 1000;
    lines.update(i, 0);
  }
  lines.finish(10, 0);
  const out = plain.trim().split("\n");
  assert.ok(out.every((l) => l.startsWith("progress: [")));
  assert.equal(out.length, 3, plain);
});
