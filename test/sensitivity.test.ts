/**
 * Prompt sensitivity end to end: two tiny real GGUF models through the CLI under several variants (scores with
 * standard errors, paired tests against the first variant, spread, rank stability, stored reports and the
 * card/map hook), and the rank-stability arithmetic on hand-made reports.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../src/cli/main.ts";
import { type ModelSensitivity, promptSpread, rankStability } from "../src/sensitivity/service.ts";
import { parseVariant } from "../src/sensitivity/variants.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import { capture } from "./support/cli.ts";
import { makeEvalFixture } from "./support/eval-fixture.ts";

const a = makeEvalFixture({ mcDocs: 30, modelSeed: 5 });
const b = makeEvalFixture({ mcDocs: 30, modelSeed: 9, dir: join(a.dir, "b") });
after(() => rmSync(a.dir, { recursive: true, force: true }));

test("CLI: two models under five variants; per-variant scores, paired tests, spread, rank stability, stored", async () => {
  const db = join(a.dir, "s.db");
  const stdout = capture();
  const stderr = capture();
  const variants = "delimiter:space,labels:A.,labels:(A),delimiter:newline,system:default";
  const code = await runCli(
    [
      "--db",
      db,
      "sensitivity",
      "--gguf",
      `${a.modelPath},${b.modelPath}`,
      "--threads",
      "1",
      "--task",
      "toy_mc",
      "--tasks-dir",
      a.tasksDir,
      "--data-dir",
      a.dataDir,
      "--num-fewshot",
      "0",
      "--variants",
      variants,
      "--format",
      "json",
    ],
    { stdout, stderr, env: {}, cwd: process.cwd() },
  );
  assert.equal(code, 0, stderr.text);
  const r = JSON.parse(stdout.text);
  assert.equal(r.models.length, 2);
  for (const m of r.models as ModelSensitivity[]) {
    assert.deepEqual(
      m.variants.map((v) => v.variant),
      variants.split(","),
    );
    const ok = m.variants.filter((v) => v.error === undefined);
    assert.equal(ok.length, 4, JSON.stringify(m.variants.map((v) => v.error)));
    // A GGUF opened ad hoc has no configured default system prompt: that variant fails as data.
    assert.match(m.variants[4]?.error ?? "", /unknown system prompt 'default'/);
    for (const v of ok) {
      assert.equal(v.n, 30);
      assert.ok((v.score as number) >= 0 && (v.score as number) <= 1);
      assert.ok((v.stderr as number) >= 0);
    }
    assert.equal(m.variants[0]?.vsBaseline, undefined);
    for (const v of ok.slice(1)) {
      assert.equal(v.vsBaseline?.method, "mcnemar");
      assert.ok((v.vsBaseline?.pValue as number) > 0 && (v.vsBaseline?.pValue as number) <= 1);
    }
    // Labelled variants score different continuations, so their runs differ from the baseline's.
    assert.notEqual(ok[1]?.runId, ok[0]?.runId);
    const scores = ok.map((v) => v.score as number);
    assert.equal(m.spread.min, Math.min(...scores));
    assert.equal(m.spread.max, Math.max(...scores));
  }
  assert.equal(r.rankStability.pairs.length, 6);
  const store = openStore(db);
  try {
    const hook = await promptSpread(store, r.models[0].model);
    assert.equal(hook.length, 1);
    assert.equal(hook[0]?.variants, 4);
    assert.match(hook[0]?.text ?? "", /prompt spread over 4 variants/);
  } finally {
    await store.close();
  }
});

test("rank stability: identical rankings give tau 1, a reversed variant -1; failed variants are left out", () => {
  const mk = (model: string, s: Array<number | undefined>): ModelSensitivity => ({
    version: 1,
    model,
    task: "t",
    variants: s.map((score, i) =>
      score === undefined ? { variant: `v${i}`, error: "x" } : { variant: `v${i}`, score },
    ),
    spread: { min: 0, max: 0, sd: 0, range: 0 },
  });
  const r = rankStability([mk("a", [0.9, 0.1, 0.5]), mk("b", [0.5, 0.5, 0.6]), mk("c", [0.1, 0.9, undefined])]);
  assert.deepEqual(r?.pairs, [{ a: "v0", b: "v1", tau: -1 }]);
  assert.equal(rankStability([mk("a", [1])]), null);
});

test("variant names: unknown ones are usage errors naming the choices", () => {
  assert.throws(() => parseVariant("chat:maybe", {}), /unknown variant/);
  assert.throws(() => parseVariant("labels:X)", {}), /label style/);
  assert.equal(parseVariant("system:mine", { mine: "Be brief." }).prompt.systemPrompt, "Be brief.");
});
