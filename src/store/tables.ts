import { ModelmapError } from "../core/errors.ts";

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
