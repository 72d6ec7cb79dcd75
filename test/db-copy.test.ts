/**
 * `modelmap db copy` moves a populated SQLite database into PostgreSQL and back without loss: every table, row by
 * row (ids, SQLite's hidden rowids where PostgreSQL keeps them, time stamps, JSON text, doubles), and the copies
 * answer queries as the original does.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { LabelingService } from "../src/labeling/service.ts";
import { openStoreAt } from "../src/store/open.ts";
import type { Store } from "../src/store/store.ts";
import { copyColumns } from "../src/store/tables.ts";
import { runCaptured } from "./support/cli.ts";
import { seedAnswers } from "./support/labeling-fixture.ts";
import { type PgCluster, startPostgres } from "./support/postgres.ts";
import { fixtureLog, fixtureSample, fixtureSpec, fixtureTaskResult } from "./support/run-fixture.ts";

let cluster: PgCluster;
let dir: string;
before(async () => {
  cluster = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), "mm-db-copy-"));
});
after(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Something in every table, through the commands and services that write them. */
async function populate(db: string): Promise<void> {
  const votes = join(dir, "votes.jsonl");
  writeFileSync(
    votes,
    [
      { model_a: "m1", model_b: "m2", winner: "model_a", judge: "h1", language: "Deutsch", tstamp: 1712345678.123 },
      { model_a: "Éclair/m", model_b: "m2", winner: "tie", question_id: "q-1", turn: 2, anony: false },
      { model_a: "m2", model_b: "m3", winner: "tie (bothbad)", category: "math" },
    ]
      .map((v) => JSON.stringify(v))
      .join("\n"),
  );
  for (const args of [
    ["votes", "import", votes, "--source", "lmsys"],
    ["ab", "import", join(process.cwd(), "fixtures/ab/experiments.jsonl")],
  ]) {
    const r = await runCaptured(["--db", db, ...args]);
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.err}`);
  }
  const store = await openStoreAt(db);
  try {
    const spec = fixtureSpec({ tasks: ["arc"] });
    await store.evals.ensureRun({ id: "run-1", modelId: spec.model, identity: { engine: "test" }, spec });
    await store.evals.cachePut("run-1", [
      { key: "k1", value: JSON.stringify([-1 / 3, true]) },
      { key: "k2", value: "[0.1]" },
    ]);
    await store.evals.recordErrors("run-1", [{ key: "k3", message: "timeout 中", reason: "backend" }]);
    await store.evals.putSamples(
      "run-1",
      Array.from({ length: 2500 }, (_, i) =>
        fixtureSample({ task: "arc", docId: i, scores: [{ metric: "acc", filter: "none", value: (i % 7) / 7 }] }),
      ),
    );
    await store.evals.finishRun(
      "run-1",
      fixtureLog(spec, {
        arc: fixtureTaskResult({
          metrics: [{ metric: "acc", filter: "none", value: 0.1 + 0.2, stderr: 1e-17 }],
          n: 2500,
        }),
      }),
    );
    await seedAnswers(store, {
      set: "chat",
      prompts: 6,
      models: ["m1", "m2", "m3"],
      answer: (m, i) => `${m} says ${i} 🎉`,
    });
    await store.judging.putJudgment({
      key: "j1",
      judge: "judge-1",
      kind: "pairwise",
      setName: "chat",
      promptId: "q0",
      category: "chat",
      answerFirst: "chat-q0-m1",
      answerSecond: "chat-q0-m2",
      modelFirst: "m1",
      modelSecond: "m2",
      verdict: "first",
      score: 7.25,
      parseError: null,
      raw: "[[A]]",
      referenceGuided: false,
      judgePromptHash: "jh",
    });
    const [voteId] = await store.votes.add("judge:judge-1", [{ modelA: "m1", modelB: "m2", winner: "model_a" }]);
    await store.judging.markPairVoted("judge-1", "chat-q0-m1", "chat-q0-m2", voteId as number);
    const labeling = new LabelingService(store);
    const campaign = await labeling.createCampaign({
      name: "Copy me",
      setName: "chat",
      models: ["m1", "m2", "m3"],
      perLabeler: 3,
      goldRate: 0.5,
      gold: [{ promptId: "q1", modelA: "m1", modelB: "m2", winner: "model_b" }],
    });
    for (let l = 0; l < 3; l++) {
      const { labeler } = await labeling.signup({ language: "English", expertise: l === 0 ? "math" : undefined });
      for (let k = 0; k < 3; k++) {
        const view = await labeling.next(campaign.id, labeler);
        if (!view) break;
        // The last assignment of each labeler stays open: open assignments are copied too.
        if (k < 2) await labeling.vote(campaign.id, labeler, view.assignmentId, k === 0 ? "left" : "tie", "why ü");
      }
    }
    await store.capmap.importSource({
      kind: "leaderboard",
      source: "s1",
      file: "f1.csv",
      fileSha256: "sha1",
      models: [
        { id: "org/big", name: "Big", paramsB: 70.5, license: "apache-2.0", merged: false, flagged: false },
        { id: "Éclair/m", paramsB: 13, license: "mit", flagged: true, hasChatTemplate: true },
      ],
      aliases: [{ alias: "Big Model", modelId: "org/big" }],
      evidence: [
        {
          modelId: "org/big",
          source: "s1",
          kind: "benchmark",
          metric: "arc",
          category: "reasoning",
          value: 80.1,
          scaled: 73.46666666666667,
          scaledLo: 70,
          scaledHi: 76.9,
          n: 100,
          baseline: 25,
        },
      ],
    });
    await store.capmap.replaceCells([
      {
        modelId: "org/big",
        category: "reasoning",
        estimate: 73.4,
        lo: 70,
        hi: 76.9,
        n: 100,
        evidence: 1,
        sources: ["s1"],
      },
    ]);
    await store.checks.put("contamination", "org/big", "arc", { p: 1.2e-14, flagged: true });
    await store.meta.put("ab", "coding", { kendall: -0.3333333333333333 });
  } finally {
    await store.close();
  }
}

/** Every table of a store as sorted rows, with the hidden rowid where the other store keeps it. */
async function tables(store: Store, other: Store): Promise<Map<string, unknown[][]>> {
  const out = new Map<string, unknown[][]>();
  for (const t of await store.tables.tableNames()) {
    const cols = await copyColumns(store.tables, other.tables, t);
    const rows: unknown[][] = [];
    for await (const page of store.tables.read(t, cols)) rows.push(...page);
    // Each store reads in its own key order (SQLite's rowid, PostgreSQL's primary key); rowids are compared as
    // a column where the other store keeps them.
    const key = (r: unknown[]) => JSON.stringify(r);
    out.set(
      t,
      rows.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0)),
    );
  }
  return out;
}

test("db copy: a populated SQLite database to PostgreSQL and back, every table equal row by row", async () => {
  const original = join(dir, "original.db");
  const back = join(dir, "back.db");
  const url = await cluster.createDatabase();
  await populate(original);

  const migrated = await runCaptured(["--db", url, "db", "migrate"]);
  assert.equal(migrated.code, 0, migrated.err);
  assert.match(migrated.out, /schema version \d+ \(up to date\)/);
  const there = await runCaptured(["db", "copy", original, url]);
  assert.equal(there.code, 0, there.err);
  assert.match(there.out, /copied \d+ rows in \d+ tables/);
  const again = await runCaptured(["db", "copy", original, url]);
  assert.equal(again.code, 2, "a copy into a database with data is refused");
  assert.match(again.err, /is not empty/);
  const home = await runCaptured(["db", "copy", url, back, "--format", "json"]);
  assert.equal(home.code, 0, home.err);

  const a = await openStoreAt(original);
  const p = await openStoreAt(url);
  const b = await openStoreAt(back);
  try {
    const fromA = await tables(a, p);
    const fromP = await tables(p, a);
    const fromB = await tables(b, p);
    assert.deepEqual([...fromA.keys()].sort(), [...fromP.keys()].sort());
    for (const [t, rows] of fromA) {
      assert.ok(rows.length > 0, `the fixture puts rows in ${t}`);
      assert.deepEqual(fromP.get(t), rows, `table ${t}: PostgreSQL equals the original`);
      assert.deepEqual(fromB.get(t), rows, `table ${t}: the copy back equals the original`);
    }
    // SQLite's hidden rowid, which orders answers, judgments and assignments, is among the columns compared.
    const withRowid = [];
    for (const t of fromA.keys()) if ((await copyColumns(a.tables, p.tables, t)).includes("rowid")) withRowid.push(t);
    assert.deepEqual(withRowid.sort(), ["answers", "judgments", "label_assignments", "meta_reports"]);
    // The copies answer as the original: ids go on after the copied ones, queries read the same.
    const ids = await Promise.all(
      [a, p, b].map((s) => s.votes.add("after-copy", [{ modelA: "x", modelB: "y", winner: "tie" }])),
    );
    assert.deepEqual(ids[1], ids[0], "PostgreSQL's id generator goes on after the copied ids");
    assert.deepEqual(ids[2], ids[0]);
    const runs = await Promise.all([a, p, b].map((s) => s.evals.listRuns()));
    assert.deepEqual(runs[1], runs[0]);
    assert.deepEqual(runs[2], runs[0]);
  } finally {
    await Promise.all([a.close(), p.close(), b.close()]);
  }
});
