/**
 * What only the PostgreSQL store has: its migrations (same numbers, names and tables as SQLite's), several
 * processes on one database, connection errors, and transactions on pooled connections. The repositories'
 * behaviour is the contract suite's (`../contract.test.ts`).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import pg from "pg";
import { type PgCluster, startPostgres } from "../../../test/support/postgres.ts";
import { exitCodeFor, ModelmapError } from "../../core/errors.ts";
import { collect } from "../../core/iter.ts";
import { openStoreAt } from "../open.ts";
import { MIGRATIONS } from "../sqlite/migrations.ts";
import { createPool } from "./db.ts";
import { openPostgresStore, PostgresStore } from "./index.ts";
import { migrate, schemaVersion } from "./migrate.ts";
import { PG_MIGRATIONS } from "./migrations.ts";

let cluster: PgCluster;
before(async () => {
  cluster = await startPostgres();
});
after(async () => {
  await cluster?.stop();
});

/** Runs `fn` with a client on `url`. */
async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

test("the migrations have SQLite's numbers and names, in order", () => {
  assert.deepEqual(
    PG_MIGRATIONS.map((m) => [m.version, m.name]),
    MIGRATIONS.map((m) => [m.version, m.name]),
  );
});

test("a new database is migrated to the latest version once, and has SQLite's tables, columns and indexes", async () => {
  const url = await cluster.createDatabase();
  await (await openPostgresStore(url)).close();
  await (await openPostgresStore(url)).close(); // a second open applies nothing and does not fail
  const sqlite = new Database(":memory:");
  try {
    const { migrate: sqliteMigrate } = await import("../sqlite/db.ts");
    sqliteMigrate(sqlite, MIGRATIONS);
    const sqliteTables = (
      sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{
        name: string;
      }>
    ).map((t) => t.name);
    const sqliteIndexes = (
      sqlite
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .all() as Array<{ name: string }>
    ).map((t) => t.name);
    await withClient(url, async (c) => {
      const applied = await c.query("SELECT version, name FROM modelmap_migrations ORDER BY version");
      assert.deepEqual(
        applied.rows.map((r) => [Number(r.version), r.name]),
        MIGRATIONS.map((m) => [m.version, m.name]),
      );
      const tables = await c.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'modelmap_migrations' ORDER BY table_name",
      );
      assert.deepEqual(
        tables.rows.map((r) => r.table_name),
        [...sqliteTables].sort(),
      );
      for (const table of sqliteTables) {
        const sqliteCols = (sqlite.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>)
          .map((r) => r.name)
          .sort();
        const cols = await c.query(
          "SELECT column_name, collation_name, data_type FROM information_schema.columns WHERE table_name = $1",
          [table],
        );
        // An explicit rowid where SQLite's queries order by its implicit one (docs/decisions/0010-postgres.md).
        assert.deepEqual(
          cols.rows
            .map((r) => r.column_name as string)
            .filter((n) => n !== "rowid")
            .sort(),
          sqliteCols,
          `columns of ${table}`,
        );
        for (const r of cols.rows)
          if (r.data_type === "text") assert.equal(r.collation_name, "C", `${table}.${r.column_name} sorts bytewise`);
      }
      const indexes = await c.query(
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key' ORDER BY indexname",
      );
      assert.deepEqual(
        indexes.rows.map((r) => r.indexname),
        sqliteIndexes,
      );
    });
  } finally {
    sqlite.close();
  }
});

test("a failing migration leaves the database at the previous version, with nothing of it applied", async () => {
  const url = await cluster.createDatabase();
  const pool = createPool(url);
  try {
    const broken = [...PG_MIGRATIONS, { version: 999, name: "broken", sql: "CREATE TABLE ok_table (x int); NOT SQL;" }];
    await assert.rejects(migrate(pool, broken), /migration 999 \(broken\) failed/);
    assert.equal(await schemaVersion(pool), LATEST);
    const t = await pool.query("SELECT to_regclass('ok_table') AS t");
    assert.equal(t.rows[0].t, null, "the half-applied migration was rolled back");
    const swapped = [PG_MIGRATIONS[1], PG_MIGRATIONS[0], ...PG_MIGRATIONS.slice(2)] as typeof PG_MIGRATIONS;
    await assert.rejects(migrate(pool, swapped), /migration 1 is listed after migration 2/);
  } finally {
    await pool.end();
  }
});

test("a database newer than the code is refused with a clear message", async () => {
  const url = await cluster.createDatabase();
  await (await openPostgresStore(url)).close();
  await withClient(url, (c) => c.query("INSERT INTO modelmap_migrations (version, name) VALUES (9999, 'future')"));
  await assert.rejects(openPostgresStore(url), /schema version 9999 is newer than this modelmap knows/);
});

test("several processes opening a new database at once migrate it once", async () => {
  const url = await cluster.createDatabase();
  const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(url, { max: 2 })));
  await Promise.all(stores.map((s) => s.close()));
  await withClient(url, async (c) => {
    const r = await c.query("SELECT count(*)::int AS n, max(version)::int AS v FROM modelmap_migrations");
    assert.deepEqual(r.rows[0], { n: LATEST, v: LATEST });
  });
});

test("a version-7 database with eval runs migrates to version 8 and reads back through the store", async () => {
  const legacy = JSON.parse(
    readFileSync(join(import.meta.dirname, "..", "..", "..", "fixtures", "legacy", "eval-store-v7.json"), "utf8"),
  ) as Record<"eval_runs" | "eval_samples" | "eval_errors", Array<Record<string, unknown>>>;
  const url = await cluster.createDatabase();
  const pool = createPool(url);
  try {
    await migrate(
      pool,
      PG_MIGRATIONS.filter((m) => m.version <= 7),
    );
    for (const table of ["eval_runs", "eval_samples", "eval_errors"] as const) {
      for (const row of legacy[table]) {
        const cols = Object.keys(row);
        await pool.query(
          `INSERT INTO ${table} (${cols.join(", ")}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(", ")})`,
          cols.map((c) => row[c]),
        );
      }
    }
  } finally {
    await pool.end();
  }
  const store = await openPostgresStore(url);
  try {
    const runs = await store.evals.listRuns();
    assert.deepEqual(
      runs.map((r) => [r.id, r.status, r.failure]),
      [["0d8ada7d0162b7ff", "complete", null]],
    );
    assert.deepEqual(Object.keys(runs[0]?.log?.results ?? {}).sort(), ["toy_gen", "toy_mc"]);
    const samples = [];
    for await (const s of store.evals.iterateSamples("0d8ada7d0162b7ff")) samples.push(s);
    assert.equal(samples.length, legacy.eval_samples.length);
    const keys = legacy.eval_errors.map((e) => e.key as string);
    const errors = await store.evals.runErrors("0d8ada7d0162b7ff", keys);
    assert.equal(errors.size, keys.length);
    for (const e of errors.values()) assert.equal(e.reason, "error", "old errors get the default reason");
    await store.evals.failRun("0d8ada7d0162b7ff", { reason: "aborted", message: "interrupted" });
    assert.equal((await store.evals.getRun("0d8ada7d0162b7ff"))?.status, "failed");
    await assert.rejects(
      store.pool.query("UPDATE eval_runs SET status = 'failed', failure_json = NULL"),
      /eval_runs_failure_check/,
    );
  } finally {
    await store.close();
  }
});

test("the store's location: postgres:// and postgresql:// URLs open it; the password is never shown", async () => {
  const url = (await cluster.createDatabase()).replace("postgres@", "postgres:s3cret@");
  const store = await openStoreAt(url);
  try {
    assert.ok(store instanceof PostgresStore);
    assert.equal(store.path.includes("s3cret"), false);
    assert.match(store.path, /^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/t/);
    // The pool is there to share (a job queue can run its SQL through it).
    const r = await store.pool.query("SELECT count(*)::int AS n FROM votes");
    assert.equal(r.rows[0].n, 0);
  } finally {
    await store.close();
  }
  const other = await openStoreAt(url.replace(/^postgres:/, "postgresql:"));
  await other.close();
});

test("a server that cannot be reached, or a database that does not exist, is a clear user error", async () => {
  const refused = await openPostgresStore("postgres://me:pw@127.0.0.1:1/x").catch((e: unknown) => e);
  assert.ok(refused instanceof ModelmapError);
  assert.equal(exitCodeFor(refused), 2);
  assert.match(refused.message, /cannot open database postgres:\/\/me:\*\*\*@127\.0\.0\.1:1\/x: .*ECONNREFUSED/);
  assert.doesNotMatch(refused.message, /pw/);
  const missing = await openPostgresStore(cluster.url.replace(/\/postgres$/, "/no_such_db")).catch((e: unknown) => e);
  assert.ok(missing instanceof ModelmapError);
  assert.match(missing.message, /database "no_such_db" does not exist/);
  assert.match(missing.hint ?? "", /createdb/);
});

test("a named statement gets one generic plan per connection, not a fresh plan at each call", async () => {
  // The labeling hot paths are named statements whose rows come as one JSON parameter (db.ts): left to choose,
  // PostgreSQL planned the vote statement afresh at most calls.
  const url = await cluster.createDatabase();
  const pool = createPool(url, { max: 1 });
  try {
    for (let i = 0; i < 8; i++) await pool.query({ name: "plan_probe", text: "SELECT $1::int + 1 AS n", values: [i] });
    const r = await pool.query(
      "SELECT generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements WHERE name = 'plan_probe'",
    );
    assert.deepEqual(r.rows, [{ generic: 8, custom: 0 }]);
  } finally {
    await pool.end();
  }
});

test("a transaction holds one connection: others run beside it and see its writes only after the commit", async () => {
  const url = await cluster.createDatabase();
  const store = await openPostgresStore(url);
  try {
    const outside = async () => Number((await store.pool.query("SELECT count(*) AS n FROM votes")).rows[0].n);
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const tx = store.transaction(async () => {
      await store.votes.add("tx", [{ modelA: "a", modelB: "b", winner: "tie" }]);
      await gate;
      return store.votes.count();
    });
    // While the transaction waits, another call runs on another connection and does not see its write.
    await sleep(20);
    assert.equal(await store.votes.count(), 0);
    assert.equal(await outside(), 0);
    await store.votes.add("outside", [{ modelA: "c", modelB: "d", winner: "tie" }]);
    release();
    assert.equal(await tx, 2, "the transaction sees the committed outside write (read committed)");
    assert.equal(await outside(), 2);
  } finally {
    await store.close();
  }
});

test("group commit resolves after the commit: another connection sees the write when the promise settles", async () => {
  const url = await cluster.createDatabase();
  const store = await openPostgresStore(url);
  try {
    await withClient(url, async (reader) => {
      // One query at a time on the reader (a pg client runs one statement at a time).
      let tail: Promise<unknown> = Promise.resolve();
      const count = (m: string) => {
        const next = tail.then(async () =>
          Number((await reader.query("SELECT count(*) AS n FROM votes WHERE model_a = $1", [m])).rows[0].n),
        );
        tail = next;
        return next;
      };
      // Each call runs in a transaction of its own (postgres/index.ts): its write is invisible to another
      // connection until the call's promise settles, and visible once it has.
      const inside: number[] = [];
      const settled: number[] = [];
      await Promise.all(
        ["a", "b", "c"].map((m) =>
          store
            .groupCommit(async () => {
              await store.votes.add("g", [{ modelA: m, modelB: "z", winner: "tie" }]);
              inside.push(await count(m));
            })
            .then(async () => settled.push(await count(m))),
        ),
      );
      assert.deepEqual(inside, [0, 0, 0], "not visible before the commit");
      assert.deepEqual(settled, [1, 1, 1]);
    });
  } finally {
    await store.close();
  }
});

test("group commit runs a deadlock's victim again: two calls that lock two rows in opposite orders both succeed", async () => {
  const url = await cluster.createDatabase();
  const store = await openPostgresStore(url);
  try {
    const [v1, v2] = await store.votes.add("d", [
      { modelA: "x", modelB: "y", winner: "tie" },
      { modelA: "y", modelB: "x", winner: "tie" },
    ]);
    // Each call takes its first row, waits until the other has taken its own, then asks for the other's: the
    // server aborts one of them (deadlock_detected) after deadlock_timeout.
    let arrived = 0;
    let release: () => void = () => {};
    const bothHold = new Promise<void>((r) => {
      release = r;
    });
    let runs = 0;
    const call = (first: number, second: number, judge: string) =>
      store.groupCommit(async () => {
        runs++;
        await store.executeSql("UPDATE votes SET judge = $1 WHERE id = $2", [judge, first]);
        if (++arrived === 2) release();
        await bothHold;
        await store.executeSql("UPDATE votes SET judge = $1 WHERE id = $2", [judge, second]);
        return judge;
      });
    const results = await Promise.allSettled([
      call(v1 as number, v2 as number, "a"),
      call(v2 as number, v1 as number, "b"),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "fulfilled"],
    );
    // Once as a rule; twice when its first retry took a row back before the winner had it (a loaded machine).
    assert.ok(runs === 3 || runs === 4, `the victim ran again, once or twice (runs: ${runs})`);
    const judges = new Set((await collect(store.votes.iterate({ sources: ["d"] }))).map((v) => v.judge));
    assert.equal(judges.size, 1, "the retried call ran last and wrote both rows");
  } finally {
    await store.close();
  }
});

test("a failed statement whose error is caught inside a transaction fails the commit, never loses writes silently", async () => {
  const url = await cluster.createDatabase();
  const store = await openPostgresStore(url);
  try {
    const labeler = { id: "l1", sessionHash: "s", csrfToken: "c", language: null, expertise: null, region: null };
    await store.labeling.createLabeler(labeler);
    await assert.rejects(
      store.transaction(async () => {
        await store.votes.add("s", [{ modelA: "a", modelB: "b", winner: "tie" }]);
        // A duplicate: PostgreSQL aborts the transaction; catching the error does not undo that.
        await store.labeling.createLabeler(labeler).catch(() => {});
      }),
      /the transaction was rolled back/,
    );
    assert.equal(await store.votes.count(), 0);
    // The way to go on after a failure: a nested transaction, which rolls back alone.
    await store.transaction(async () => {
      await store.votes.add("s", [{ modelA: "a", modelB: "b", winner: "tie" }]);
      await store.transaction(() => store.labeling.createLabeler(labeler)).catch(() => {});
    });
    assert.equal(await store.votes.count(), 1);
  } finally {
    await store.close();
  }
});

test("executeSql runs where a store call would: inside a transaction it commits or rolls back with it", async () => {
  const url = await cluster.createDatabase();
  const store = await openPostgresStore(url);
  try {
    // A table of a job queue's own, beside the store's.
    await store.executeSql("CREATE TABLE jobs (id serial PRIMARY KEY, name text NOT NULL)");
    await assert.rejects(
      store.transaction(async () => {
        await store.votes.add("s", [{ modelA: "a", modelB: "b", winner: "tie" }]);
        await store.executeSql("INSERT INTO jobs (name) VALUES ($1)", ["evaluate a"]);
        throw new Error("the submission failed");
      }),
      /the submission failed/,
    );
    assert.deepEqual((await store.executeSql("SELECT count(*)::int AS n FROM jobs")).rows, [{ n: 0 }]);
    await store.transaction(async () => {
      await store.votes.add("s", [{ modelA: "a", modelB: "b", winner: "tie" }]);
      const r = await store.executeSql("INSERT INTO jobs (name) VALUES ($1) RETURNING id", ["evaluate b"]);
      assert.equal(r.rowCount, 1);
    });
    // Taken off the store, as a library does with its `db` adapter.
    const { executeSql } = store;
    assert.deepEqual((await executeSql("SELECT name FROM jobs")).rows, [{ name: "evaluate b" }]);
    assert.equal(await store.votes.count(), 1);
  } finally {
    await store.close();
  }
});
