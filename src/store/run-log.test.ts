/**
 * Old databases keep reading: the eval tables of a version-7 database, as the runner before the typed run log
 * wrote them (`fixtures/legacy/eval-store-v7.json`), migrate to the current schema and read back as typed run
 * logs whose printed form is what that runner printed.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { resultsJson } from "../runner/lmeval-format.ts";
import { parseRunLog, parseSample, parseSpec, RUN_LOG_VERSION } from "./run-log.ts";
import { migrate, openDb } from "./sqlite/db.ts";
import { SqliteEvalRepo } from "./sqlite/evals.ts";
import { MIGRATIONS } from "./sqlite/migrations.ts";

interface Legacy {
  user_version: number;
  eval_runs: Array<Record<string, unknown>>;
  eval_samples: Array<Record<string, unknown>>;
  eval_errors: Array<Record<string, unknown>>;
  outcome: { results: unknown; groups: unknown };
}

const LEGACY = JSON.parse(
  readFileSync(join(import.meta.dirname, "..", "..", "fixtures", "legacy", "eval-store-v7.json"), "utf8"),
) as Legacy;

function insertAll(db: ReturnType<typeof openDb>, table: string, rows: Array<Record<string, unknown>>): void {
  for (const r of rows) {
    const cols = Object.keys(r);
    db.prepare(`INSERT INTO ${table} (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`).run(
      ...cols.map((c) => r[c]),
    );
  }
}

/** A version-7 database holding the legacy rows, plus a second run left `running` by a killed process. */
function legacyDb(): ReturnType<typeof openDb> {
  const db = openDb(
    ":memory:",
    MIGRATIONS.filter((m) => m.version <= LEGACY.user_version),
  );
  assert.equal(db.pragma("user_version", { simple: true }), 7);
  insertAll(db, "eval_runs", LEGACY.eval_runs);
  insertAll(db, "eval_runs", [
    { ...LEGACY.eval_runs[0], id: "killedrun0000000", status: "running", results_json: null },
  ]);
  insertAll(db, "eval_samples", LEGACY.eval_samples);
  insertAll(db, "eval_errors", LEGACY.eval_errors);
  return db;
}

test("a version-7 database migrates: runs keep their rows, samples and errors still belong to them", () => {
  const migrated = legacyDb();
  const before = (migrated.prepare("SELECT count(*) AS n FROM eval_samples").get() as { n: number }).n;
  // Brought up to date as opening it does.
  migrate(migrated, MIGRATIONS);
  assert.equal(migrated.pragma("user_version", { simple: true }), Math.max(...MIGRATIONS.map((m) => m.version)));
  assert.equal(migrated.pragma("foreign_keys", { simple: true }), 1, "foreign keys are back on");
  assert.deepEqual(migrated.pragma("foreign_key_check"), []);
  assert.equal((migrated.prepare("SELECT count(*) AS n FROM eval_samples").get() as { n: number }).n, before);
  const repo = new SqliteEvalRepo(migrated);
  const runs = repo.listRuns();
  assert.deepEqual(runs.map((r) => [r.id, r.status]).sort(), [
    ["0d8ada7d0162b7ff", "complete"],
    ["killedrun0000000", "running"],
  ]);
  // Samples still cascade with their run: the references point at the rebuilt table.
  migrated.prepare("DELETE FROM eval_runs WHERE id = ?").run("0d8ada7d0162b7ff");
  assert.equal((migrated.prepare("SELECT count(*) AS n FROM eval_samples").get() as { n: number }).n, 0);
  assert.equal((migrated.prepare("SELECT count(*) AS n FROM eval_errors").get() as { n: number }).n, 0);
  // The new status, with its reason, is accepted; a failed status without one is not.
  repo.failRun("killedrun0000000", { reason: "aborted", message: "interrupted" });
  assert.deepEqual(repo.getRun("killedrun0000000")?.failure, { reason: "aborted", message: "interrupted" });
  assert.throws(() => migrated.prepare("UPDATE eval_runs SET status = 'failed', failure_json = NULL").run(), /CHECK/);
  repo.markRunning("killedrun0000000");
  assert.equal(repo.getRun("killedrun0000000")?.failure, null);
});

test("legacy results read as typed rows, and print as the old runner printed them", () => {
  const row = LEGACY.eval_runs[0] as { config_json: string; results_json: string };
  const spec = parseSpec(JSON.parse(row.config_json));
  const log = parseRunLog(JSON.parse(row.results_json), spec);
  assert.equal(log.version, RUN_LOG_VERSION);
  const mc = log.results.toy_mc ?? assert.fail("toy_mc");
  assert.deepEqual(
    mc.metrics.map((m) => [m.metric, m.filter]),
    [
      ["acc", "none"],
      ["acc_norm", "none"],
    ],
  );
  assert.deepEqual(mc.primary, { metric: "acc", filter: "none" });
  assert.equal(mc.n, 2);
  assert.equal(mc.nErrors, 1);
  assert.equal(mc.randomBaseline, 1 / 3);
  assert.equal(log.groups.toy?.macro.length, 3);
  assert.deepEqual(log.groups.toy?.tasks, ["toy_gen", "toy_mc"]);
  // The printed and served form is unchanged.
  assert.deepEqual(resultsJson(log), LEGACY.outcome);
});

test("legacy samples read as typed samples: requests, answers per filter, scores as rows, errors", () => {
  const samples = LEGACY.eval_samples.map((r) =>
    parseSample(
      { task: r.task as string, docId: r.doc_id as number, error: r.error as string | null },
      JSON.parse(r.data_json as string),
      JSON.parse(r.scores_json as string),
    ),
  );
  const gen = samples.find((s) => s.task === "toy_gen") ?? assert.fail("toy_gen");
  assert.equal(gen.arguments[0]?.kind, "generate");
  assert.deepEqual(gen.resps, ["The answer is #### 9"]);
  assert.deepEqual(gen.filteredResps, { "strict-match": ["9"] });
  assert.deepEqual(gen.scores, [{ metric: "exact_match", filter: "strict-match", value: 0 }]);
  assert.equal(gen.finishReason, "stop");
  const mc = samples.find((s) => s.task === "toy_mc" && s.error === null) ?? assert.fail("toy_mc");
  assert.equal(mc.arguments.length, 3);
  assert.equal(mc.resps.length, 3);
  assert.deepEqual(Object.keys(mc.filteredResps), ["none"]);
  assert.deepEqual(
    mc.scores.map((s) => s.metric),
    ["acc", "acc_norm"],
  );
  const failed = samples.find((s) => s.error !== null) ?? assert.fail("no failed sample");
  assert.match(failed.error ?? "", /scripted failure/);
  assert.deepEqual(failed.scores, []);
});

test("a stored record that matches no schema is an error naming what is wrong, not a silent empty result", () => {
  const spec = parseSpec(JSON.parse((LEGACY.eval_runs[0] as { config_json: string }).config_json));
  assert.throws(
    () => parseRunLog({ version: 1, spec, results: { t: { alias: 3 } }, groups: {}, timing: null }, spec),
    /run log.*results\.t/,
  );
  assert.throws(() => parseSpec({ model: "m" }), /run spec/);
});
