import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { collect } from "../../core/iter.ts";
import type { Vote } from "../../core/votes.ts";
import { openStore } from "./index.ts";

const vote = (a: string): Vote => ({ modelA: a, modelB: "z", winner: "model_a" });
const models = async (store: ReturnType<typeof openStore>, source: string) =>
  (await collect(store.votes.iterate({ sources: [source] }))).map((v) => v.modelA);

test("a call from outside an open transaction waits for it, and is not rolled back with it", async () => {
  const store = openStore(":memory:");
  try {
    const order: string[] = [];
    const tx = store
      .transaction(async () => {
        await store.votes.add("tx", [vote("a")]);
        order.push("tx wrote");
        await sleep(30); // a timer, not a store call: other callers get the event loop meanwhile
        await store.votes.add("tx", [vote("b")]);
        throw new Error("roll back");
      })
      .catch((e: Error) => order.push(`tx ${e.message}`));
    await sleep(5);
    const outside = store.votes.add("outside", [vote("c")]).then(() => order.push("outside wrote"));
    await Promise.all([tx, outside]);
    assert.deepEqual(order, ["tx wrote", "tx roll back", "outside wrote"]);
    assert.deepEqual(await models(store, "tx"), []);
    assert.deepEqual(await models(store, "outside"), ["c"]);
  } finally {
    await store.close();
  }
});

test("a transaction inside a transaction is a savepoint: it rolls back alone", async () => {
  const store = openStore(":memory:");
  try {
    await store.transaction(async () => {
      await store.votes.add("s", [vote("outer")]);
      await assert.rejects(
        store.transaction(async () => {
          await store.votes.add("s", [vote("inner")]);
          throw new Error("inner fails");
        }),
        /inner fails/,
      );
      await store.transaction(() => store.votes.add("s", [vote("inner2")]));
    });
    assert.deepEqual(await models(store, "s"), ["outer", "inner2"]);
    // Savepoints overlapping in time would release each other: refused.
    await assert.rejects(
      store.transaction(() =>
        Promise.all([
          store.transaction(async () => {
            await sleep(1);
          }),
          store.transaction(async () => {
            await sleep(10);
          }),
        ]),
      ),
      /ran concurrently/,
    );
  } finally {
    await store.close();
  }
});

test("work that escapes a transaction runs after it, outside it", async () => {
  const store = openStore(":memory:");
  try {
    let late: Promise<unknown> = Promise.resolve();
    await store.transaction(async () => {
      await store.votes.add("s", [vote("in")]);
      // Left running when the transaction ends: it must neither join a finished transaction nor deadlock.
      late = sleep(10).then(() => store.votes.add("s", [vote("late")]));
    });
    await late;
    assert.deepEqual(await models(store, "s"), ["in", "late"]);
    await assert.rejects(
      store.transaction(() => store.groupCommit(() => 1)),
      /groupCommit was called inside a transaction/,
    );
  } finally {
    await store.close();
  }
});

test("iterators read in pages, so other statements can run between two pages", async () => {
  const store = openStore(":memory:");
  try {
    await store.votes.add(
      "s",
      Array.from({ length: 5000 }, (_, i) => vote(`m${i}`)),
    );
    let n = 0;
    for await (const v of store.votes.iterate({ sources: ["s"] })) {
      // A write on the same connection in the middle of the iteration (an open cursor would refuse it).
      if (n % 1000 === 0) await store.votes.add("t", [vote(v.modelA)]);
      n++;
    }
    assert.equal(n, 5000);
    assert.equal(await store.votes.count({ sources: ["t"] }), 5);
    const ids = (await collect(store.votes.iterate({ sources: ["s"] }))).map((v) => v.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
      "in id order across pages",
    );
  } finally {
    await store.close();
  }
});
