import { ModelmapError } from "../core/errors.ts";
import type { Store } from "./store.ts";

/**
 * Every table of a store, row by row, below the repositories: what `modelmap db copy` moves between a SQLite file
 * and a PostgreSQL database. Values are what the driver reads (text, numbers, null); both stores have the same
 * tables and columns (docs/decisions/0010-postgres.md), except PostgreSQL's explicit `rowid` columns, which carry
 * SQLite's implicit rowid where queries order by it.
 */
export interface TableAccess {
  /** The schema version (the last migration applied). */
  schemaVersion(): Promise<number>;
  /** The data tables, each after the tables it references; migration bookkeeping left out. */
  tableNames(): Promise<string[]>;
  /** A table's own columns in table order, and whether it has a hidden `rowid` read and written by that name. */
  columns(table: string): Promise<TableColumns>;
  rowCount(table: string): Promise<number>;
  /** The rows of a table in one read snapshot, in key order, a page at a time (`rowid` is readable by name). */
  read(table: string, columns: readonly string[]): AsyncIterable<unknown[][]>;
  /**
   * Runs `fill` in one transaction of a store whose tables are all empty; `write` appends rows (values in the
   * order of `columns`). At the end, id generators continue after the largest id written.
   */
  load(
    fill: (write: (table: string, columns: readonly string[], rows: unknown[][]) => Promise<void>) => Promise<void>,
  ): Promise<void>;
}

export interface TableColumns {
  names: string[];
  /** SQLite's rowid of a table that is not WITHOUT ROWID and has no INTEGER PRIMARY KEY of its own. */
  hiddenRowid: boolean;
}

export interface CopyReport {
  tables: Array<{ table: string; rows: number }>;
  rows: number;
}

/**
 * The columns copied from `from` to `to` for one table: those both have, plus SQLite's hidden rowid where the other
 * side keeps it as a column. A column only one side has is a schema difference this code does not know: refused.
 */
export async function copyColumns(from: TableAccess, to: TableAccess, table: string): Promise<string[]> {
  const src = await from.columns(table);
  const dst = await to.columns(table);
  const has = (t: TableColumns, c: string) => t.names.includes(c) || (c === "rowid" && t.hiddenRowid);
  const missing = [...src.names.filter((c) => !has(dst, c)), ...dst.names.filter((c) => !has(src, c))];
  if (missing.length > 0)
    throw new ModelmapError(
      "internal",
      `table ${table}: columns ${missing.join(", ")} exist in only one of the stores`,
    );
  const out = dst.names.filter((c) => has(src, c));
  for (const c of src.names) if (!out.includes(c) && has(dst, c)) out.push(c);
  // One order whichever way the copy goes.
  return out.sort();
}

/**
 * Copies every row of `from` into `to`, which must be empty and at the same schema version, in one transaction of
 * `to`: a failure leaves it empty. Ids, time stamps and JSON text are copied as they are.
 */
export async function copyStore(from: Store, to: Store): Promise<CopyReport> {
  const [vFrom, vTo] = await Promise.all([from.tables.schemaVersion(), to.tables.schemaVersion()]);
  if (vFrom !== vTo)
    throw new ModelmapError(
      "config",
      `schema versions differ: ${from.path} is at ${vFrom}, ${to.path} at ${vTo}; run 'modelmap db migrate' on the older one`,
    );
  const names = await to.tables.tableNames();
  const srcNames = new Set(await from.tables.tableNames());
  const extra = [...srcNames].filter((t) => !names.includes(t));
  const absent = names.filter((t) => !srcNames.has(t));
  if (extra.length + absent.length > 0)
    throw new ModelmapError("internal", `tables in only one of the stores: ${[...extra, ...absent].join(", ")}`);
  for (const t of names) {
    const n = await to.tables.rowCount(t);
    if (n > 0)
      throw new ModelmapError("conflict", `${to.path} is not empty (table ${t} has ${n} rows)`, {
        hint: "copy into a new, empty database: a copy never merges into existing data",
      });
  }
  const report: CopyReport = { tables: [], rows: 0 };
  await to.tables.load(async (write) => {
    for (const t of names) {
      const cols = await copyColumns(from.tables, to.tables, t);
      let rows = 0;
      for await (const page of from.tables.read(t, cols)) {
        await write(t, cols, page);
        rows += page.length;
      }
      report.tables.push({ table: t, rows });
      report.rows += rows;
    }
  });
  return report;
}

/** Rows per page when reading a table. */
export const PAGE_ROWS = 2000;

/** `names` ordered so that each table comes after the tables it references (self-references ignored). */
export function referenceOrder(names: readonly string[], references: ReadonlyMap<string, readonly string[]>): string[] {
  const out: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (t: string) => {
    if (state.get(t) === "done") return;
    if (state.get(t) === "visiting")
      throw new ModelmapError("internal", `tables reference each other in a cycle at ${t}`);
    state.set(t, "visiting");
    for (const r of references.get(t) ?? []) if (r !== t && names.includes(r)) visit(r);
    state.set(t, "done");
    out.push(t);
  };
  for (const t of [...names].sort()) visit(t);
  return out;
}
