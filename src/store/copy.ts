import { ModelmapError } from "../core/errors.ts";
import type { Store } from "./store.ts";
import { copyColumns } from "./tables.ts";

export interface CopyReport {
  tables: Array<{ table: string; rows: number }>;
  rows: number;
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
