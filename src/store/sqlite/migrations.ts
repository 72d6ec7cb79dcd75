/**
 * The SQLite schema, as one list of numbered migrations: the only place the schema is written (the repository
 * files next to this one hold queries only). Listed in version order, 1, 2, 3, ... with no gaps (a test checks
 * it). Each is applied once, in order, inside a transaction together with the bump of `user_version`, so a
 * crash leaves the database at the previous version, never half-migrated. Append a new migration at the end
 * with the next number; never edit one that has shipped. A Postgres store keeps its own list with the same
 * numbers and names, so that a version means the same schema in both.
 */

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /**
   * Rebuilds a table that others reference (SQLite's documented way to change a constraint): foreign keys are
   * switched off around the migration's transaction, so that dropping the old table does not cascade into the
   * rows that reference it, and `foreign_key_check` must come back empty before it commits.
   */
  foreignKeysOff?: boolean;
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
  {
    version: 3,
    name: "prompt sets, answers, LLM judgments",
    sql: `
      CREATE TABLE prompt_sets (
        name TEXT PRIMARY KEY,
        content_hash TEXT NOT NULL,
        secret INTEGER NOT NULL DEFAULT 0,
        canary TEXT,
        description TEXT,
        origin TEXT,
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE TABLE prompt_items (
        set_name TEXT NOT NULL REFERENCES prompt_sets(name) ON DELETE CASCADE,
        id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        category TEXT NOT NULL,
        turns TEXT NOT NULL,
        reference TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (set_name, id)
      ) WITHOUT ROWID;
      CREATE TABLE answers (
        key TEXT PRIMARY KEY,
        set_name TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        model TEXT NOT NULL,
        outputs TEXT NOT NULL,
        params TEXT NOT NULL,
        finish_reasons TEXT NOT NULL,
        error TEXT,
        chars INTEGER NOT NULL DEFAULT 0,
        tokens INTEGER NOT NULL DEFAULT 0,
        headers INTEGER NOT NULL DEFAULT 0,
        lists INTEGER NOT NULL DEFAULT 0,
        bold INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE INDEX answers_lookup ON answers(set_name, model, prompt_id, created_at);
      CREATE TABLE judgments (
        key TEXT PRIMARY KEY,
        judge TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('pairwise','single')),
        set_name TEXT NOT NULL,
        prompt_id TEXT NOT NULL,
        category TEXT NOT NULL,
        answer_first TEXT NOT NULL,
        answer_second TEXT,
        model_first TEXT NOT NULL,
        model_second TEXT,
        verdict TEXT,
        score REAL,
        parse_error TEXT,
        raw TEXT NOT NULL,
        reference_guided INTEGER NOT NULL DEFAULT 0,
        judge_prompt_hash TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE INDEX judgments_judge ON judgments(judge, set_name, kind);
      CREATE TABLE judge_pair_votes (
        judge TEXT NOT NULL,
        answer_a TEXT NOT NULL,
        answer_b TEXT NOT NULL,
        vote_id INTEGER NOT NULL,
        PRIMARY KEY (judge, answer_a, answer_b)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: "blind human labeling: labelers, campaigns, items, assignments",
    sql: `
      CREATE TABLE labelers (
        id TEXT PRIMARY KEY,
        session_hash TEXT NOT NULL UNIQUE,
        csrf_token TEXT NOT NULL,
        language TEXT,
        expertise TEXT,
        region TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE TABLE label_campaigns (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        set_name TEXT NOT NULL,
        models TEXT NOT NULL,
        per_labeler INTEGER NOT NULL,
        reveal TEXT NOT NULL CHECK (reveal IN ('after','never')),
        gold_rate REAL NOT NULL,
        seed INTEGER NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE TABLE label_items (
        id INTEGER PRIMARY KEY,
        campaign_id TEXT NOT NULL REFERENCES label_campaigns(id) ON DELETE CASCADE,
        prompt_id TEXT NOT NULL,
        model_a TEXT NOT NULL,
        model_b TEXT NOT NULL,
        answer_a TEXT NOT NULL,
        answer_b TEXT NOT NULL,
        gold_winner TEXT
      );
      CREATE INDEX label_items_campaign ON label_items(campaign_id);
      CREATE TABLE label_assignments (
        id TEXT PRIMARY KEY,
        campaign_id TEXT NOT NULL REFERENCES label_campaigns(id) ON DELETE CASCADE,
        item_id INTEGER NOT NULL REFERENCES label_items(id) ON DELETE CASCADE,
        labeler_id TEXT NOT NULL REFERENCES labelers(id),
        left_is TEXT NOT NULL CHECK (left_is IN ('model_a','model_b')),
        choice TEXT CHECK (choice IS NULL OR choice IN ('left','right','tie','both_bad')),
        reason TEXT,
        vote_id INTEGER,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        voted_at TEXT,
        UNIQUE (labeler_id, item_id)
      );
      CREATE INDEX label_assignments_campaign ON label_assignments(campaign_id, labeler_id);
      CREATE INDEX label_assignments_item ON label_assignments(item_id);
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
    version: 6,
    name: "contamination and prompt-sensitivity reports",
    // One row per (kind, model, task); the report is JSON.
    sql: `
      CREATE TABLE check_reports (
        kind TEXT NOT NULL CHECK (kind IN ('contamination','sensitivity')),
        model_id TEXT NOT NULL,
        task TEXT NOT NULL,
        report_json TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        PRIMARY KEY (kind, model_id, task)
      );
      CREATE INDEX check_reports_model ON check_reports(model_id);
    `,
  },
  {
    version: 7,
    name: "online experiments (A/B tests) and meta-evaluations of signals",
    sql: `
      CREATE TABLE ab_imports (
        id INTEGER PRIMARY KEY,
        file TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        experiments INTEGER NOT NULL,
        imported_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE TABLE ab_experiments (
        id TEXT PRIMARY KEY,
        import_id INTEGER NOT NULL REFERENCES ab_imports(id),
        line INTEGER,
        category TEXT NOT NULL,
        start_at TEXT NOT NULL,
        end_at TEXT NOT NULL,
        metric TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('proportion','mean','ratio')),
        higher_is_better INTEGER NOT NULL CHECK (higher_is_better IN (0, 1))
      );
      CREATE INDEX ab_experiments_category ON ab_experiments(category);
      CREATE TABLE ab_variants (
        experiment_id TEXT NOT NULL REFERENCES ab_experiments(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        name TEXT NOT NULL,
        model TEXT NOT NULL,
        model_id TEXT NOT NULL,
        preset TEXT,
        planned_share REAL,
        units INTEGER NOT NULL CHECK (units > 0),
        successes INTEGER,
        mean REAL,
        sd REAL,
        numerator_mean REAL,
        denominator_mean REAL,
        numerator_sd REAL,
        denominator_sd REAL,
        covariance REAL,
        PRIMARY KEY (experiment_id, idx)
      );
      CREATE INDEX ab_variants_model ON ab_variants(model_id);
      CREATE TABLE meta_reports (
        reference TEXT NOT NULL,
        category TEXT NOT NULL,
        report_json TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        PRIMARY KEY (reference, category)
      );
      CREATE INDEX meta_reports_category ON meta_reports(category, created_at);
    `,
  },
  {
    version: 8,
    name: "eval runs: failed status with its reason; request errors with theirs",
    foreignKeysOff: true,
    sql: `
      CREATE TABLE eval_runs_v8 (
        id TEXT PRIMARY KEY,
        model_id TEXT NOT NULL,
        model_json TEXT NOT NULL,
        config_json TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running','complete','failed')),
        failure_json TEXT CHECK ((status = 'failed') = (failure_json IS NOT NULL)),
        results_json TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      INSERT INTO eval_runs_v8 (id, model_id, model_json, config_json, status, results_json, created_at, updated_at)
        SELECT id, model_id, model_json, config_json, status, results_json, created_at, updated_at FROM eval_runs;
      DROP TABLE eval_runs;
      ALTER TABLE eval_runs_v8 RENAME TO eval_runs;
      ALTER TABLE eval_errors ADD COLUMN reason TEXT NOT NULL DEFAULT 'error';
    `,
  },
  {
    version: 9,
    name: "label assignments: a labeler's n-th assignment of a campaign is unique (one creator when several servers race)",
    sql: `
      ALTER TABLE label_assignments ADD COLUMN seq INTEGER;
      UPDATE label_assignments SET seq = (
        SELECT count(*) FROM label_assignments b
        WHERE b.campaign_id = label_assignments.campaign_id AND b.labeler_id = label_assignments.labeler_id
          AND b.rowid <= label_assignments.rowid
      );
      CREATE UNIQUE INDEX label_assignments_seq ON label_assignments(campaign_id, labeler_id, seq);
    `,
  },
  {
    version: 10,
    name: "label assignments: drop the index on (campaign, labeler), a prefix of the unique (campaign, labeler, seq)",
    // Every lookup by campaign and labeler can use label_assignments_seq; the other index only cost a second
    // insert for each assignment handed out.
    sql: `
      DROP INDEX label_assignments_campaign;
    `,
  },
];
