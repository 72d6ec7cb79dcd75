/**
 * What only the SQLite store does: it has one connection, so a call from outside an open transaction waits for
 * the transaction to end. The rest of the transaction contract runs on both stores in ../contract-tx.test.ts.
 */
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
