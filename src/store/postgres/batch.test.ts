import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import { Batcher } from "./batch.ts";

/** A Batcher over a fake statement that records each batch it was given. */
function recording(
  opts: { maxInFlight?: number; maxBatch?: number; lingerMs?: number; fail?: (items: string[]) => boolean } = {},
) {
  const batches: string[][] = [];
  let running = 0;
  let mostRunning = 0;
  const b = new Batcher<string, string>(
    async (items) => {
      batches.push(items);
      running++;
      mostRunning = Math.max(mostRunning, running);
      await nextTurn();
      running--;
      if (opts.fail?.(items)) throw new Error(`bad ${items.join(",")}`);
      return items.map((i) => `ok:${i}`);
    },
    (item) => item.split("#")[0] as string,
    opts,
  );
  return { b, batches, mostRunning: () => mostRunning };
}

test("calls of one turn go as one batch, each caller gets its own result", async () => {
  const { b, batches } = recording();
  assert.deepEqual(await Promise.all(["a", "b", "c"].map((x) => b.add(x))), ["ok:a", "ok:b", "ok:c"]);
  assert.deepEqual(batches, [["a", "b", "c"]]);
});

test("two calls with one key never share a batch", async () => {
  const { b, batches } = recording();
  assert.deepEqual(await Promise.all([b.add("k#1"), b.add("j"), b.add("k#2")]), ["ok:k#1", "ok:j", "ok:k#2"]);
  assert.deepEqual(batches, [["k#1", "j"], ["k#2"]]);
});

test("a failed batch is retried call by call: the error reaches only the caller whose call fails", async () => {
  const { b, batches } = recording({ fail: (items) => items.includes("bad") });
  const results = await Promise.allSettled([b.add("a"), b.add("bad"), b.add("c")]);
  assert.deepEqual(
    results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message)),
    ["ok:a", "bad bad", "ok:c"],
  );
  assert.deepEqual(batches, [["a", "bad", "c"], ["a"], ["bad"], ["c"]]);
});

test("at most maxInFlight batches run at once; calls made meanwhile gather for the next, up to maxBatch", async () => {
  const { b, batches, mostRunning } = recording({ maxInFlight: 1, maxBatch: 3 });
  const first = b.add("a");
  await nextTurn(); // the first batch is running
  const later = ["b", "c", "d", "e"].map((x) => b.add(x));
  assert.deepEqual(await Promise.all([first, ...later]), ["ok:a", "ok:b", "ok:c", "ok:d", "ok:e"]);
  assert.deepEqual(batches, [["a"], ["b", "c", "d"], ["e"]]);
  assert.equal(mostRunning(), 1);
});

test("with lingerMs, calls of later turns join the first call's batch until the linger ends", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { b, batches } = recording({ lingerMs: 2 });
    const a = b.add("a");
    await nextTurn();
    const c = b.add("c");
    await nextTurn();
    assert.deepEqual(batches, [], "nothing sent before the linger ends");
    mock.timers.tick(2);
    assert.deepEqual(await Promise.all([a, c]), ["ok:a", "ok:c"]);
    assert.deepEqual(batches, [["a", "c"]]);
  } finally {
    mock.timers.reset();
  }
});

test("calls that gathered behind a running batch go when it ends, without a linger of their own", {
  timeout: 5000,
}, async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { b, batches } = recording({ lingerMs: 2, maxInFlight: 1 });
    const a = b.add("a");
    mock.timers.tick(2);
    assert.deepEqual(batches, [["a"]], "the first batch is running");
    const later = [b.add("b"), b.add("c")];
    assert.equal(await a, "ok:a");
    // The mocked clock does not move again: the gathered calls must not wait for a timer.
    assert.deepEqual(await Promise.all(later), ["ok:b", "ok:c"]);
    assert.deepEqual(batches, [["a"], ["b", "c"]]);
  } finally {
    mock.timers.reset();
  }
});
