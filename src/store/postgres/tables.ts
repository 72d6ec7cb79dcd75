import type pg from "pg";
import { PAGE_ROWS, referenceOrder, type TableAccess, type TableColumns } from "../tables.ts";
import { schemaVersion } from "./migrate.ts";

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
/** The migration bookkeeping, which each store keeps its own way (SQLite: `user_version`). */
const BOOKKEEPING = "modelmap_migrations";

/**
 * JSON carries the rows to the server (one parameter per page); numbers JSON cannot write (Infinity) go as text,
 * which `json_populate_recordset` parses with the column type's own input function.
 */
const toJson = (rows: unknown[]) =>
  JSON.stringify(rows, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v));

/** Row-level access to every table of a PostgreSQL store, for `modelmap db copy` (store/tables.ts). */
export class PgTables implements TableAccess {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  schemaVersion(): Promise<number> {
    return schemaVersion(this.#pool);
  }

  async tableNames(): Promise<string[]> {
    const tables = await this.#pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace`,
    );
    const refs = await this.#pool.query<{ name: string; ref: string }>(
      `SELECT c.relname AS name, r.relname AS ref FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
       WHERE k.contype = 'f' AND c.relnamespace = current_schema()::regnamespace`,
    );
    const map = new Map<string, string[]>();
    for (const r of refs.rows) map.set(r.name, [...(map.get(r.name) ?? []), r.ref]);
    return referenceOrder(
      tables.rows.map((r) => r.name).filter((n) => n !== BOOKKEEPING),
      map,
    );
  }

  async columns(table: string): Promise<TableColumns> {
    const r = await this.#pool.query<{ name: string }>(
      `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum`,
      [quote(table)],
    );
    return { names: r.rows.map((x) => x.name), hiddenRowid: false };
  }

  async rowCount(table: string): Promise<number> {
    const r = await this.#pool.query<{ n: number }>(`SELECT count(*) AS n FROM ${quote(table)}`);
    return Number(r.rows[0]?.n ?? 0);
  }

  /** The order rows are read in: the `rowid` column where there is one, else the primary key. */
  async #order(client: pg.PoolClient, table: string): Promise<string> {
    const { names } = await this.columns(table);
    if (names.includes("rowid")) return "rowid";
    const pk = await client.query<{ name: string }>(
      `SELECT a.attname AS name FROM pg_index i
       JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
       WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY k.n`,
      [quote(table)],
    );
    // A table without a primary key is read in the order of all its columns, still one fixed order.
    return (pk.rows.length > 0 ? pk.rows.map((x) => x.name) : names).map(quote).join(", ");
  }

  async *read(table: string, columns: readonly string[]): AsyncIterable<unknown[][]> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const order = await this.#order(client, table);
      await client.query(
        `DECLARE rows NO SCROLL CURSOR FOR SELECT ${columns.map(quote).join(", ")} FROM ${quote(table)} ORDER BY ${order}`,
      );
      for (;;) {
        const page = await client.query<unknown[]>({ text: `FETCH ${PAGE_ROWS} FROM rows`, rowMode: "array" });
        if (page.rows.length === 0) break;
        yield page.rows;
      }
      await client.query("COMMIT");
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  async load(
    fill: (write: (table: string, columns: readonly string[], rows: unknown[][]) => Promise<void>) => Promise<void>,
  ): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      await fill(async (table, columns, rows) => {
        const objects = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? null])));
        const cols = columns.map(quote).join(", ");
        await client.query(
          `INSERT INTO ${quote(table)} (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${quote(table)}, $1::json)`,
          [toJson(objects)],
        );
      });
      // Identity columns go on after the largest id copied, as SQLite's next rowid does.
      const identities = await client.query<{ t: string; c: string }>(
        `SELECT c.relname AS t, a.attname AS c FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE a.attidentity <> '' AND c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'`,
      );
      for (const { t, c } of identities.rows)
        await client.query(
          `SELECT setval(pg_get_serial_sequence($1, $2), m) FROM (SELECT max(${quote(c)}) AS m FROM ${quote(t)}) x WHERE m IS NOT NULL`,
          [quote(t), c],
        );
      await client.query("COMMIT");
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }
}
