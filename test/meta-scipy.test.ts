import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { analyzedExperiments, importExperiments } from "../src/ab/service.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import { realTableReport } from "../tools/meta-arena.ts";

/**
 * The numbers of `modelmap meta` on the shared tables (Open LLM Leaderboard v2, the instruct obs-scaling table
 * and MT-bench against Chatbot Arena) and of `modelmap ab` on the shipped example, recomputed by an independent
 * numpy/scipy script (tools/meta_check.py) from the report's inputs and seeds.
 *
 * Needs /usr/bin/python3 with numpy and scipy. Where they are missing the test fails and says so (it is not
 * skipped, like a test whose shared data is missing): `apt-get install -y python3-numpy python3-scipy`.
 */
const PYTHON = "/usr/bin/python3";

test("meta-evaluation and A/B numbers agree with an independent numpy/scipy computation", async () => {
  const probe = spawnSync(PYTHON, ["-c", "import numpy, scipy"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0)
    assert.fail(
      `this check needs ${PYTHON} with numpy and scipy (apt-get install -y python3-numpy python3-scipy): ${probe.error?.message ?? probe.stderr.trim()}`,
    );
  const dir = mkdtempSync(join(tmpdir(), "modelmap-meta-scipy-"));
  const store = openStore(join(dir, "m.db"));
  try {
    // 200 rounds keep the Python side to seconds; tools/meta-arena.ts prints the README table with 1000.
    const report = await realTableReport(store, 200);
    const [v2, instruct] = report.blocks;
    assert.equal(v2?.reference.signal, "arena-leaderboard/arena-elo");
    assert.equal(v2?.reference.models, 53);
    assert.deepEqual(v2?.rows.map((r) => [r.metric, r.models]).sort(), [
      ["bbh", 53],
      ["gpqa", 53],
      ["ifeval", 53],
      ["math-lvl5", 53],
      ["mmlu-pro", 53],
      ["musr", 53],
    ]);
    // Every v2 benchmark ranks chat models in the arena's direction.
    for (const r of v2?.rows ?? []) assert.equal(r.verdict, "agrees", `${r.signal}: ${JSON.stringify(r.kendall)}`);
    assert.equal(instruct?.reference.signal, "arena-battles:chatbotarena_20240814/bt-rating:chat");
    const mt = instruct?.rows.find((r) => r.metric === "mt-bench");
    assert.equal(mt?.models, 9);
    assert.equal(report.rankOnly.find((r) => r.signal === "instruct/MTBench")?.models.length, 17);

    const metaJson = join(dir, "meta.json");
    writeFileSync(metaJson, JSON.stringify(report));
    const fixture = "fixtures/ab/experiments.jsonl";
    await importExperiments(store, fixture, { bootstrap: 100 });
    const abJson = join(dir, "ab.json");
    writeFileSync(abJson, JSON.stringify(await analyzedExperiments(store)));

    const r = spawnSync(PYTHON, ["tools/meta_check.py", metaJson, abJson, fixture], { encoding: "utf8" });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /checked \d+ numbers against numpy .*\nall agree/);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
