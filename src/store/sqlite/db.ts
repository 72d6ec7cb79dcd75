import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { ModelmapError } from "../../core/errors.ts";
import { MIGRATIONS, type Migration } from "./migrations.ts";

export type Db = Database.Database;

/** Opens (creating if needed) a SQLite database and brings its schema up to date. */
export function openDb(path: string, migrations: Migration[] = MIGRATIONS): Db {
  const cannot = (e: unknown, why: string) =>
    new ModelmapError("config", `cannot open the database: ${why}`, {
      cause: e,
      location: { file: path },
      hint: "--db (or $MODELMAP_DB) names modelmap's SQLite file; a new path creates one",
    });
  let db: Db;
  try {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
  } catch (e) {
    throw cannot(e, (e as Error).message);
  }
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
  } catch (e) {
    db.close();
    // A text file, or any file that is not SQLite, fails at the first statement.
    const notDb = (e as { code?: string }).code === "SQLITE_NOTADB";
    throw cannot(e, notDb ? "the file is not an SQLite database" : (e as Error).message);
  }
  migrate(db, migrations);
  return db;
}

export function migrate(db: Db, migrations: Migration[]): void {
  migrations.forEach((m, i) => {
    const prev = migrations[i - 1];
    // A list out of order is a bug in modelmap, not in the user's database.
    if (prev && m.version <= prev.version)
      throw new ModelmapError("internal", `migration ${m.version} is listed after migration ${prev.version}`);
  });
  const current = db.pragma("user_version", { simple: true }) as number;
  const latest = migrations.reduce((m, x) => Math.max(m, x.version), 0);
  if (current > latest) {
    throw new ModelmapError(
      "config",
      `database schema version ${current} is newer than this modelmap knows (${latest}); upgrade modelmap`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    const apply = db.transaction(() => {
      db.exec(m.sql);
      if (m.foreignKeysOff) {
        const broken = db.pragma("foreign_key_check") as unknown[];
        if (broken.length > 0)
          throw new ModelmapError("internal", `migration ${m.version} left ${broken.length} dangling references`);
      }
      db.pragma(`user_version = ${m.version | 0}`);
    });
    // The pragma is a no-op inside a transaction: it goes around it.
    const fk = db.pragma("foreign_keys", { simple: true }) as number;
    if (m.foreignKeysOff) db.pragma("foreign_keys = OFF");
    try {
      apply.immediate();
    } finally {
      if (m.foreignKeysOff) db.pragma(`foreign_keys = ${fk ? "ON" : "OFF"}`);
    }
  }
}
