import { PAGE_ROWS, referenceOrder, type TableAccess, type TableColumns } from "../tables.ts";
import type { Db } from "./db.ts";

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Row-level access to every table of a SQLite store, for `modelmap db copy` (store/tables.ts). */
export class SqliteTables implements TableAccess {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async schemaVersion(): Promise<number> {
    return this.#db.pragma("user_version", { simple: true }) as number;
  }

  async tableNames(): Promise<string[]> {
    const names = (
      this.#db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
        .all() as Array<{ name: string }>
    ).map((r) => r.name);
    const refs = new Map(
      names.map((t) => [
        t,
        (this.#db.pragma(`foreign_key_list(${quote(t)})`) as Array<{ table: string }>).map((r) => r.table),
      ]),
    );
    return referenceOrder(names, refs);
  }

  #info(table: string): { names: string[]; pk: string[]; hiddenRowid: boolean; rowidTable: boolean } {
    const cols = this.#db.pragma(`table_info(${quote(table)})`) as Array<{ name: string; type: string; pk: number }>;
    const pk = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
    const sql = (this.#db.prepare("SELECT sql FROM sqlite_master WHERE name = ?").get(table) as { sql: string }).sql;
    const rowidTable = !/\)\s*WITHOUT\s+ROWID\s*$/i.test(sql);
    const integerKey = pk.length === 1 && pk[0]?.type.toUpperCase() === "INTEGER";
    return {
      names: cols.map((c) => c.name),
      pk: pk.map((c) => c.name),
      hiddenRowid: rowidTable && !integerKey,
      rowidTable,
    };
  }

  async columns(table: string): Promise<TableColumns> {
    const { names, hiddenRowid } = this.#info(table);
    return { names, hiddenRowid };
  }

  async rowCount(table: string): Promise<number> {
    return (this.#db.prepare(`SELECT count(*) AS n FROM ${quote(table)}`).get() as { n: number }).n;
  }

  async *read(table: string, columns: readonly string[]): AsyncIterable<unknown[][]> {
    const info = this.#info(table);
    const order = info.rowidTable ? "rowid" : info.pk.map(quote).join(", ");
    // Read in one statement (one snapshot), handing out a page at a time.
    const stmt = this.#db
      .prepare(`SELECT ${columns.map(quote).join(", ")} FROM ${quote(table)} ORDER BY ${order}`)
      .raw();
    let page: unknown[][] = [];
    for (const row of stmt.iterate() as Iterable<unknown[]>) {
      page.push(row);
      if (page.length === PAGE_ROWS) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  async load(
    fill: (write: (table: string, columns: readonly string[], rows: unknown[][]) => Promise<void>) => Promise<void>,
  ): Promise<void> {
    const db = this.#db;
    db.exec("BEGIN IMMEDIATE");
    try {
      // Rows of a table that references itself may come in any order; the references are checked at commit.
      db.pragma("defer_foreign_keys = ON");
      await fill(async (table, columns, rows) => {
        const stmt = db.prepare(
          `INSERT INTO ${quote(table)} (${columns.map(quote).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
        );
        for (const r of rows) stmt.run(...r);
      });
      db.exec("COMMIT");
    } catch (e) {
      if (db.inTransaction) db.exec("ROLLBACK");
      throw e;
    }
  }
}
