/**
 * Numbered schema migrations. Each is applied once, in order, inside a transaction together with the
 * bump of `user_version`, so a crash leaves the database at the previous version, never half-migrated.
 * Append new migrations at the end with the next number; never edit one that has shipped.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: "votes",
    sql: `
      CREATE TABLE vote_imports (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        file TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        votes INTEGER NOT NULL,
        imported_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        UNIQUE (source, file_sha256)
      );
      CREATE TABLE votes (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        import_id INTEGER REFERENCES vote_imports(id) ON DELETE CASCADE,
        prompt_id TEXT,
        model_a TEXT NOT NULL,
        model_b TEXT NOT NULL,
        winner TEXT NOT NULL CHECK (winner IN ('model_a','model_b','tie','tie_bothbad')),
        judge TEXT,
        shown_first TEXT CHECK (shown_first IS NULL OR shown_first IN ('model_a','model_b')),
        category TEXT,
        language TEXT,
        turn INTEGER,
        tstamp REAL,
        anony INTEGER,
        rationale TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        CHECK (model_a <> model_b)
      );
      CREATE INDEX votes_source ON votes(source);
      CREATE INDEX votes_prompt ON votes(prompt_id);
    `,
  },
];
