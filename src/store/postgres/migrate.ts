import type pg from "pg";
import { ModelmapError } from "../../core/errors.ts";
import { PG_MIGRATIONS, type PgMigration } from "./migrations.ts";

/**
 * One key for PostgreSQL's advisory lock around migrations ("modelmap" in ASCII): two processes that open a new
 * database at once (two `serve` instances) apply each migration once, one after the other.
 */
const LOCK = "7885631324383932784";

/** The version recorded in the database (0 for an empty one). */
export async function schemaVersion(conn: pg.Pool | pg.PoolClient): Promise<number> {
  const r = await conn.query<{ v: number | null }>(
    "SELECT CASE WHEN to_regclass('modelmap_migrations') IS NULL THEN 0 ELSE (SELECT COALESCE(max(version), 0) FROM modelmap_migrations) END AS v",
  );
  return Number(r.rows[0]?.v ?? 0);
}

/**
 * Brings the schema up to date: each pending migration in its own transaction, with its row in
 * `modelmap_migrations`, so that a failure leaves the database at the previous version.
 */
export async function migrate(pool: pg.Pool, migrations: PgMigration[] = PG_MIGRATIONS): Promise<void> {
  migrations.forEach((m, i) => {
    const prev = migrations[i - 1];
    // A list out of order is a bug in modelmap, not in the user's database.
    if (prev && m.version <= prev.version)
      throw new ModelmapError("internal", `migration ${m.version} is listed after migration ${prev.version}`);
  });
  const latest = migrations.reduce((m, x) => Math.max(m, x.version), 0);
  const client = await pool.connect();
  try {
    for (;;) {
      await client.query("BEGIN");
      try {
        await client.query(`SELECT pg_advisory_xact_lock(${LOCK})`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS modelmap_migrations (
             version bigint PRIMARY KEY,
             name text NOT NULL,
             applied_at text NOT NULL DEFAULT to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
           )`,
        );
        const current = await schemaVersion(client);
        if (current > latest)
          throw new ModelmapError(
            "config",
            `database schema version ${current} is newer than this modelmap knows (${latest}); upgrade modelmap`,
          );
        const next = migrations.find((m) => m.version > current);
        if (!next) {
          await client.query("COMMIT");
          return;
        }
        try {
          await client.query(next.sql);
        } catch (e) {
          throw new ModelmapError(
            "internal",
            `migration ${next.version} (${next.name}) failed: ${(e as Error).message}`,
            {
              cause: e,
            },
          );
        }
        await client.query("INSERT INTO modelmap_migrations (version, name) VALUES ($1, $2)", [
          next.version,
          next.name,
        ]);
        await client.query("COMMIT");
      } catch (e) {
        await client.query("ROLLBACK").catch(() => {});
        throw e;
      }
    }
  } finally {
    client.release();
  }
}
