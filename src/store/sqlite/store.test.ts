import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { collect } from "../../core/iter.ts";
import { migrate, openDb } from "./db.ts";
import { openStore } from "./index.ts";
import { MIGRATIONS } from "./migrations.ts";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "modelmap-store-"));
}

test("migrations bring a new database to the latest version, once", async () => {
  const dir = tmp();
  try {
    const path = join(dir, "a.db");
    openDb(path).close();
    const db = new Database(path);
    const latest = Math.max(...MIGRATIONS.map((m) => m.version));
    assert.equal(db.pragma("user_version", { simple: true }), latest);
    db.close();
    openDb(path).close(); // a second open applies nothing and does not fail
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a failing migration leaves the database at the previous version", async () => {
  const dir = tmp();
  try {
    const path = join(dir, "b.db");
    const broken = [
      ...MIGRATIONS,
      { version: 999, name: "broken", sql: "CREATE TABLE ok_table (x); THIS IS NOT SQL;" },
    ];
    assert.throws(() => openDb(path, broken));
    const db = new Database(path);
    assert.equal(db.pragma("user_version", { simple: true }), Math.max(...MIGRATIONS.map((m) => m.version)));
    const t = db.prepare("SELECT name FROM sqlite_master WHERE name = 'ok_table'").get();
    assert.equal(t, undefined, "the half-applied migration was rolled back");
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a database newer than the code is refused with a clear message", async () => {
  const dir = tmp();
  try {
    const path = join(dir, "c.db");
    const db = new Database(path);
    db.pragma("user_version = 9999");
    db.close();
    assert.throws(() => openDb(path), /newer than this modelmap knows/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("vote import is atomic and idempotent per file and source", async () => {
  const dir = tmp();
  const store = openStore(join(dir, "v.db"));
  try {
    const votes = [
      { modelA: "x", modelB: "y", winner: "model_a" as const, shownFirst: "model_a" as const, judge: "h1" },
      { modelA: "y", modelB: "z", winner: "tie_bothbad" as const },
    ];
    assert.deepEqual(await store.votes.importBatch({ source: "s", file: "f.jsonl", fileSha256: "abc", votes }), {
      inserted: 2,
      duplicate: false,
    });
    assert.deepEqual(await store.votes.importBatch({ source: "s", file: "f.jsonl", fileSha256: "abc", votes }), {
      inserted: 0,
      duplicate: true,
    });
    assert.equal(await store.votes.count(), 2);
    // A bad vote (a model against itself) aborts the whole batch.
    await assert.rejects(() =>
      store.votes.importBatch({
        source: "s",
        file: "g.jsonl",
        fileSha256: "def",
        votes: [...votes, { modelA: "q", modelB: "q", winner: "tie" }],
      }),
    );
    assert.equal(await store.votes.count(), 2);
    const got = await collect(store.votes.iterate({ filters: [{ field: "judge", value: "h1" }] }));
    assert.equal(got.length, 1);
    assert.equal(got[0]?.shownFirst, "model_a");
    assert.equal(await store.votes.count({ filters: [{ field: "model", value: "z" }] }), 1);
    await assert.rejects(() => store.votes.count({ filters: [{ field: "nope", value: "1" }] }), /cannot filter/);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("group commit: calls of one event-loop turn share a transaction, a failing one rolls back alone", async () => {
  const dir = tmp();
  const path = join(dir, "g.db");
  const store = openStore(path);
  const reader = new Database(path, { readonly: true });
  try {
    const vote = (a: string) => ({ promptId: "p", modelA: a, modelB: "z", winner: "model_a" as const, judge: "j" });
    const seen: number[] = [];
    const calls = [
      store.groupCommit(() => store.votes.add("g", [vote("a")])),
      store.groupCommit(async () => {
        await store.votes.add("g", [vote("b")]);
        throw new Error("boom");
      }),
      store.groupCommit(async () => {
        // Runs inside the same transaction as the first call: its write is visible here, not yet outside.
        seen.push(await store.votes.count({ sources: ["g"] }));
        seen.push((reader.prepare("SELECT count(*) AS n FROM votes").get() as { n: number }).n);
        return await store.votes.add("g", [vote("c")]);
      }),
    ];
    const settled = await Promise.allSettled(calls);
    assert.deepEqual(
      settled.map((s) => s.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
    assert.match(String((settled[1] as PromiseRejectedResult).reason), /boom/);
    assert.deepEqual(seen, [1, 0]);
    // Settled means committed: another connection sees a and c, not the rolled-back b.
    const models = reader.prepare("SELECT model_a FROM votes ORDER BY id").all() as Array<{ model_a: string }>;
    assert.deepEqual(
      models.map((r) => r.model_a),
      ["a", "c"],
    );
    // A later turn is a new transaction.
    await store.groupCommit(() => store.votes.add("g", [vote("d")]));
    assert.equal(await store.votes.count({ sources: ["g"] }), 3);
  } finally {
    reader.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the migrations are listed in version order, numbered 1..N without gaps, with distinct names", async () => {
  assert.deepEqual(
    MIGRATIONS.map((m) => m.version),
    MIGRATIONS.map((_, i) => i + 1),
  );
  assert.equal(new Set(MIGRATIONS.map((m) => m.name)).size, MIGRATIONS.length);
  const db = new Database(":memory:");
  const swapped = [MIGRATIONS[1], MIGRATIONS[0], ...MIGRATIONS.slice(2)] as typeof MIGRATIONS;
  assert.throws(() => migrate(db, swapped), /migration 1 is listed after migration 2/);
  assert.equal(db.pragma("user_version", { simple: true }), 0, "nothing applied from a list out of order");
  db.close();
});

test("the repository files hold queries only: the schema is written in migrations.ts alone", async () => {
  for (const f of readdirSync(import.meta.dirname)) {
    if (!f.endsWith(".ts") || f === "migrations.ts" || f.endsWith(".test.ts")) continue;
    const text = readFileSync(join(import.meta.dirname, f), "utf8");
    assert.ok(!/\b(CREATE|ALTER|DROP) (TABLE|INDEX|VIEW|TRIGGER)\b/.test(text), `${f} writes schema`);
  }
});
