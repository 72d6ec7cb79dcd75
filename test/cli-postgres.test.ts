/** The CLI on a PostgreSQL database: `--db postgres://...` or `MODELMAP_DB` opens the PostgreSQL store. */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import pg from "pg";
import { runCaptured } from "./support/cli.ts";
import { type PgCluster, startPostgres } from "./support/postgres.ts";

let cluster: PgCluster;
before(async () => {
  cluster = await startPostgres();
});
after(async () => {
  await cluster?.stop();
});

test("--db postgres://... and MODELMAP_DB=postgresql://... store and read votes on the server, not in a file", async () => {
  const url = await cluster.createDatabase();
  const dir = mkdtempSync(join(tmpdir(), "mm-pg-cli-"));
  try {
    const file = join(dir, "votes.jsonl");
    writeFileSync(
      file,
      [
        { model_a: "m1", model_b: "m2", winner: "model_a" },
        { model_a: "m2", model_b: "m3", winner: "tie" },
      ]
        .map((v) => JSON.stringify(v))
        .join("\n"),
    );
    const imported = await runCaptured(["--db", url, "votes", "import", file, "--source", "cli"], { cwd: dir });
    assert.equal(imported.code, 0, imported.err);
    const listed = await runCaptured(["votes", "list"], {
      cwd: dir,
      env: { MODELMAP_DB: url.replace(/^postgres:/, "postgresql:") },
    });
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, /cli/);
    assert.deepEqual(readdirSync(dir), ["votes.jsonl"], "no database file was created");
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const r = await c.query("SELECT source, count(*)::int AS n FROM votes GROUP BY source");
      assert.deepEqual(r.rows, [{ source: "cli", n: 2 }]);
    } finally {
      await c.end();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a PostgreSQL URL that cannot be opened is a user error (exit 2) that names it without its password", async () => {
  const r = await runCaptured(["--db", "postgres://u:secret@127.0.0.1:1/x", "votes", "list"]);
  assert.equal(r.code, 2);
  assert.match(r.err, /cannot open database postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x/);
  assert.match(r.err, /hint: check the URL/);
  assert.doesNotMatch(r.err, /secret/);
});
