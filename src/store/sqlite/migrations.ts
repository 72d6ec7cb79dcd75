/**
 * Numbered schema migrations. Each is applied once, in order, inside a transaction together with the
 * bump of `user_version`, so a crash leaves the database at the previous version, never half-migrated.
 * Append new migrations at the end with the next number; never edit one that has shipped.
 */

import { AB_MIGRATION_SQL } from "./ab.ts";
import { CHECKS_MIGRATION_SQL } from "./contamination.ts";
import { JUDGING_MIGRATION_SQL } from "./judging.ts";
import { LABELING_MIGRATION_SQL } from "./labeling.ts";

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
  {
    version: 5,
    name: "capability map: models, evidence, cells",
    sql: `
      CREATE TABLE capmap_imports (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        file TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        rows INTEGER NOT NULL,
        imported_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE TABLE capmap_models (
        id TEXT PRIMARY KEY,
        name TEXT,
        params_b REAL,
        license TEXT,
        architecture TEXT,
        base_model TEXT,
        date TEXT,
        merged INTEGER,
        flagged INTEGER,
        moe INTEGER,
        type TEXT,
        has_chat_template INTEGER,
        url TEXT
      );
      CREATE INDEX capmap_models_params ON capmap_models(params_b);
      CREATE TABLE capmap_aliases (alias TEXT PRIMARY KEY, model_id TEXT NOT NULL);
      CREATE TABLE capmap_evidence (
        id INTEGER PRIMARY KEY,
        model_id TEXT NOT NULL,
        source TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('benchmark','rating','judge')),
        metric TEXT NOT NULL,
        category TEXT NOT NULL,
        value REAL NOT NULL,
        lo REAL,
        hi REAL,
        n INTEGER,
        baseline REAL,
        scaled REAL NOT NULL,
        scaled_lo REAL NOT NULL,
        scaled_hi REAL NOT NULL,
        UNIQUE (model_id, source, metric)
      );
      CREATE INDEX capmap_evidence_source ON capmap_evidence(source, metric);
      CREATE INDEX capmap_evidence_model ON capmap_evidence(model_id);
      CREATE TABLE capmap_cells (
        model_id TEXT NOT NULL,
        category TEXT NOT NULL,
        estimate REAL NOT NULL,
        lo REAL NOT NULL,
        hi REAL NOT NULL,
        n INTEGER NOT NULL,
        evidence INTEGER NOT NULL,
        sources TEXT NOT NULL,
        PRIMARY KEY (category, model_id)
      );
      CREATE INDEX capmap_cells_rank ON capmap_cells(category, estimate DESC);
      CREATE INDEX capmap_cells_model ON capmap_cells(model_id);
    `,
  },
  {
    version: 2,
    name: "eval harness: runs, request cache, errors, samples",
    sql: `
      CREATE TABLE eval_runs (
        id TEXT PRIMARY KEY,
        model_id TEXT NOT NULL,
        model_json TEXT NOT NULL,
        config_json TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running','complete')),
        results_json TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE TABLE eval_cache (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      ) WITHOUT ROWID;
      CREATE TABLE eval_errors (
        run_id TEXT NOT NULL REFERENCES eval_runs(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        message TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
      ) WITHOUT ROWID;
      CREATE TABLE eval_samples (
        run_id TEXT NOT NULL REFERENCES eval_runs(id) ON DELETE CASCADE,
        task TEXT NOT NULL,
        doc_id INTEGER NOT NULL,
        data_json TEXT NOT NULL,
        scores_json TEXT NOT NULL,
        error TEXT,
        PRIMARY KEY (run_id, task, doc_id)
      );
    `,
  },
  { version: 3, name: "prompt sets, answers, LLM judgments", sql: JUDGING_MIGRATION_SQL },
  { version: 4, name: "blind human labeling: labelers, campaigns, items, assignments", sql: LABELING_MIGRATION_SQL },
  { version: 6, name: "contamination and prompt-sensitivity reports", sql: CHECKS_MIGRATION_SQL },
  { version: 7, name: "online experiments (A/B tests) and meta-evaluations of signals", sql: AB_MIGRATION_SQL },
];
