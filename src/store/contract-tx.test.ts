/**
 * The store contract, transactions and iterators: the same calls against SQLite and PostgreSQL. Where the two
 * must differ (SQLite has one connection, so an outside call waits; PostgreSQL runs it on another connection),
 * only what both promise is asserted here; each store's own side is tested next to it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { storeKinds } from "../../test/support/stores.ts";
import { collect } from "../core/iter.ts";
import type { Vote } from "../core/votes.ts";
import type { Store } from "./store.ts";

const vote = (a: string): Vote => ({ modelA: a, modelB: "z", winner: "model_a" });
const models = async (store: Store, source: string) =>
  (await collect(store.votes.iterate({ sources: [source] }))).map((v) => v.modelA);

for (const kind of storeKinds()) {
  describe(`${kind.name} store`, () => {
    test("a transaction that throws leaves nothing; one that returns keeps everything", () =>
      kind.with(async (store) => {
        await assert.rejects(
          store.transaction(async () => {
            await store.votes.add("s", [vote("a")]);
            await store.judging.markPairVoted("j", "a", "b", 1);
            throw new Error("roll back");
          }),
          /roll back/,
        );
        assert.equal(await store.votes.count(), 0);
        assert.equal(await store.judging.pairVoted("j", "a", "b"), undefined);
        const value = await store.transaction(async () => {
          await store.votes.add("s", [vote("b")]);
          return 42;
        });
        assert.equal(value, 42);
        assert.deepEqual(await models(store, "s"), ["b"]);
        assert.equal(await store.transaction(() => "sync value"), "sync value");
      }));

    test("a transaction inside a transaction is a savepoint: it rolls back alone", () =>
      kind.with(async (store) => {
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
      }));

    test("a repository call that fails inside a transaction rolls back alone, and the transaction goes on", () =>
      kind.with(async (store) => {
        await store.transaction(async () => {
          await store.votes.add("s", [vote("before")]);
          const bad = { source: "s", file: "f", fileSha256: "h", votes: [vote("x"), { ...vote("q"), modelB: "q" }] };
          await assert.rejects(store.votes.importBatch(bad));
          await store.votes.add("s", [vote("after")]);
        });
        assert.deepEqual(await models(store, "s"), ["before", "after"]);
        assert.equal(await store.votes.count(), 2, "nothing of the failed import");
      }));

    test("repository calls started together inside a transaction all land in it", () =>
      kind.with(async (store) => {
        await assert.rejects(
          store.transaction(async () => {
            await Promise.all([
              store.votes.importBatch({ source: "a", file: "f", fileSha256: "1", votes: [vote("a1"), vote("a2")] }),
              store.votes.importBatch({ source: "b", file: "f", fileSha256: "2", votes: [vote("b1")] }),
              store.judging.putPromptSet(
                { name: "set", contentHash: "h", secret: false, canary: null, description: null, origin: null },
                [{ setName: "set", id: "q", category: "c", turns: ["hi"], reference: null, tags: [] }],
              ),
              store.votes.add("c", [vote("c1")]),
            ]);
            assert.equal(await store.votes.count(), 4, "visible inside the transaction");
            throw new Error("undo all");
          }),
          /undo all/,
        );
        assert.equal(await store.votes.count(), 0);
        assert.equal(await store.judging.getPromptSet("set"), undefined);
      }));

    test("a call from outside an open transaction is neither part of it nor rolled back with it", () =>
      kind.with(async (store) => {
        const tx = store
          .transaction(async () => {
            await store.votes.add("tx", [vote("a")]);
            await sleep(30); // a timer, not a store call: other callers get the event loop meanwhile
            await store.votes.add("tx", [vote("b")]);
            throw new Error("roll back");
          })
          .catch((e: Error) => e.message);
        await sleep(5);
        await Promise.all([tx, store.votes.add("outside", [vote("c")])]);
        assert.equal(await tx, "roll back");
        assert.deepEqual(await models(store, "tx"), []);
        assert.deepEqual(await models(store, "outside"), ["c"]);
      }));

    test("work that escapes a transaction runs after it, outside it; groupCommit is refused inside one", () =>
      kind.with(async (store) => {
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
      }));

    test("group commit: each call is atomic and settles after its commit, a failing one rolls back alone", () =>
      kind.with(async (store) => {
        const seen: number[] = [];
        const settled = await Promise.allSettled([
          store.groupCommit(() => store.votes.add("g", [vote("a")])),
          store.groupCommit(async () => {
            await store.votes.add("g", [vote("b")]);
            throw new Error("boom");
          }),
          store.groupCommit(async () => {
            // SQLite: the same transaction as the first call, whose write is visible here. PostgreSQL runs each call
            // in a transaction of its own, at once (postgres/index.ts), and may not have committed the first yet.
            seen.push(await store.votes.count({ sources: ["g"] }));
            return store.votes.add("g", [vote("c")]);
          }),
          store.groupCommit(() => "plain value"),
        ]);
        assert.deepEqual(
          settled.map((s) => s.status),
          ["fulfilled", "rejected", "fulfilled", "fulfilled"],
        );
        assert.match(String((settled[1] as PromiseRejectedResult).reason), /boom/);
        assert.equal((settled[3] as PromiseFulfilledResult<string>).value, "plain value");
        if (kind.name === "sqlite") assert.deepEqual(seen, [1]);
        assert.deepEqual((await models(store, "g")).sort(), ["a", "c"]);
        await store.groupCommit(() => store.votes.add("g", [vote("d")]));
        assert.equal(await store.votes.count({ sources: ["g"] }), 3);
      }));

    test("iterators read in pages, so other statements can run between two pages", () =>
      kind.with(async (store) => {
        await store.votes.add(
          "s",
          Array.from({ length: 5000 }, (_, i) => vote(`m${i}`)),
        );
        let n = 0;
        for await (const v of store.votes.iterate({ sources: ["s"] })) {
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
        // Inside a transaction too: the pages and the writes share its connection.
        await store.transaction(async () => {
          let k = 0;
          for await (const _ of store.votes.iterate({ sources: ["s"] })) {
            if (k++ % 2500 === 0) await store.votes.add("u", [vote("x")]);
          }
        });
        assert.equal(await store.votes.count({ sources: ["u"] }), 2);
      }));
  });
}
