import { resolve } from "node:path";
import { ModelmapError } from "../../core/errors.ts";
import { copyStore } from "../../store/copy.ts";
import { isPostgresUrl, redactUrl } from "../../store/location.ts";
import { openStoreAt } from "../../store/open.ts";
import { type Command, parseFlags } from "../command.ts";

export const dbMigrateCommand: Command = {
  name: "db migrate",
  summary: "create or upgrade the database schema (SQLite file or PostgreSQL URL)",
  usage: `usage: modelmap db migrate [--db FILE|postgres://USER:PASSWORD@HOST:PORT/DATABASE]

Brings the schema of the database named by --db (or MODELMAP_DB, or ./modelmap.db) up to date and prints its
version. Every command does this on first use; this one does only that, e.g. before starting several
'modelmap serve' processes on one PostgreSQL database.`,
  async run(argv, ctx) {
    parseFlags("db migrate", argv, {}, false);
    const store = await ctx.store();
    ctx.stdout.write(`${store.path}: schema version ${await store.tables.schemaVersion()} (up to date)\n`);
    return 0;
  },
};

const location = (cwd: string, where: string) =>
  where === ":memory:" || isPostgresUrl(where) ? where : resolve(cwd, where);

export const dbCopyCommand: Command = {
  name: "db copy",
  summary: "copy every table of one database into another, empty one (SQLite to PostgreSQL and back)",
  usage: `usage: modelmap db copy FROM TO [--format table|json]

Copies every row of every table from FROM into TO, each a SQLite file or a postgres:// URL: ids, time stamps and
stored JSON as they are, so that TO answers every query as FROM does. TO is created or migrated first and must be
empty; the copy is one transaction of TO, so a failed copy leaves it empty. --db is not used.`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("db copy", argv, { format: { type: "string" } });
    const format = values.format ?? "table";
    if (format !== "table" && format !== "json")
      throw new ModelmapError("usage", `db copy: --format must be table or json, not '${format}'`);
    if (positionals.length !== 2)
      throw new ModelmapError("usage", "db copy: give FROM and TO (a SQLite file or a postgres:// URL each)");
    const [from, to] = positionals.map((p) => location(ctx.cwd, p)) as [string, string];
    if (from === to) throw new ModelmapError("usage", "db copy: FROM and TO are the same database");
    if (from === ":memory:" || to === ":memory:")
      throw new ModelmapError("usage", "db copy: ':memory:' would be gone when the command ends; give a file");
    const source = await openStoreAt(from);
    try {
      const target = await openStoreAt(to);
      try {
        const started = performance.now();
        const report = await copyStore(source, target);
        const seconds = (performance.now() - started) / 1000;
        if (format === "json") {
          ctx.stdout.write(
            `${JSON.stringify({ from: redactUrl(from), to: redactUrl(to), ...report, seconds }, null, 2)}\n`,
          );
          return 0;
        }
        const width = Math.max(...report.tables.map((t) => t.table.length), 5);
        for (const t of report.tables) ctx.stdout.write(`${t.table.padEnd(width)}  ${t.rows}\n`);
        ctx.stdout.write(
          `copied ${report.rows} rows in ${report.tables.length} tables from ${redactUrl(from)} to ${redactUrl(to)} in ${seconds.toFixed(1)}s\n`,
        );
        return 0;
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
  },
};

export const DB_COMMANDS: readonly Command[] = [dbMigrateCommand, dbCopyCommand];
