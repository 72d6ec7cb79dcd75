import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../src/cli/main.ts";
import { collect } from "../src/core/iter.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import { capture } from "./support/cli.ts";
import { startScriptedChatServer } from "./support/scripted-chat-server.ts";

test("CLI: prompts import/check/list, generate, judge, judge stats over real HTTP servers", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mm-judge-cli-"));
  const db = join(dir, "m.db");
  const setFile = join(dir, "mini.yaml");
  writeFileSync(
    setFile,
    "name: mini\nprompts:\n  - id: q1\n    category: math\n    turns: ['2+2?']\n    reference: '4'\n  - id: q2\n    category: writing\n    turns: ['A poem.']\n",
  );
  const models = await startScriptedChatServer((r) => (r.model === "big" ? "The answer is **4**, done well." : "5"));
  const judge = await startScriptedChatServer((r) => {
    const t = r.messages.at(-1)?.content ?? "";
    if (t.includes("<<<CONVERSATION>>>")) return t.includes("**4**") ? "Score: 9" : "Score: 2";
    const a = t.slice(t.indexOf("ASSISTANT A>>>"), t.indexOf("<<<END A>>>"));
    return a.includes("**4**") ? "Verdict: A" : "Verdict: B";
  });
  try {
    const io = () => ({ stdout: capture(), stderr: capture() });
    let o = io();
    assert.equal(await runCli(["--db", db, "prompts", "check", setFile], o), 0, o.stderr.text);
    assert.match(o.stdout.text, /mini: 2 prompts/);
    o = io();
    assert.equal(await runCli(["--db", db, "prompts", "import", setFile], o), 0, o.stderr.text);
    o = io();
    assert.equal(await runCli(["--db", db, "prompts", "list"], o), 0);
    assert.match(o.stdout.text, /mini\s+2 prompts/);

    const m = `big@${models.baseUrl},small@${models.baseUrl}`;
    o = io();
    assert.equal(await runCli(["--db", db, "generate", "--models", m, "--prompts", "mini"], o), 0, o.stderr.text);
    assert.match(o.stdout.text, /4 answers \(4 generated, 0 already stored, 0 failed\)/);
    o = io();
    assert.equal(await runCli(["--db", db, "generate", "--models", m, "--prompts", "mini"], o), 0);
    assert.match(o.stdout.text, /0 generated, 4 already stored/);

    o = io();
    const code = await runCli(
      ["--db", db, "judge", "--judge", `j@${judge.baseUrl}`, "--prompts", "mini", "--models", "big,small"],
      o,
    );
    assert.equal(code, 0, o.stderr.text);
    assert.match(o.stdout.text, /2 votes added/);
    assert.match(o.stdout.text, /consistency under swapping\s+100\.0%/);
    assert.match(o.stdout.text, /first-position win rate\s+50\.0%/);
    o = io();
    assert.equal(await runCli(["--db", db, "judge", "stats", "--judge", "j"], o), 0);
    assert.match(o.stdout.text, /mean grade big\s+9\.00/);

    const store = openStore(db);
    const votes = await collect(store.votes.iterate({ sources: ["judge:mini"] }));
    await store.close();
    assert.equal(votes.length, 2);
    assert.ok(votes.every((v) => (v.winner === "model_a" ? v.modelA : v.modelB) === "big"));

    o = io();
    assert.equal(await runCli(["--db", db, "generate", "--models", "x", "--prompts", "mini"], o), 2);
    assert.match(o.stderr.text, /config file not found|unknown model 'x'/);
    o = io();
    assert.equal(await runCli(["--db", db, "generate", "--models", m, "--prompts", "nope"], o), 2);
    assert.match(o.stderr.text, /no prompt set named or found at 'nope'/);
  } finally {
    await models.close();
    await judge.close();
  }
});

test("CLI: winrate --alpaca-eval reads a real AlpacaEval annotations file", async () => {
  const file = "../shared/data/alpaca_eval/gemma-7b-it_weighted_alpaca_eval_gpt4_turbo_annotations.json";
  const out = capture();
  const err = capture();
  const code = await runCli(["winrate", "--alpaca-eval", file, "--bootstrap", "20"], { stdout: out, stderr: err });
  assert.equal(code, 0, err.text);
  assert.match(out.text, /gemma-7b-it vs gpt4_1106_preview \(n=805, dropped 0\)/);
  assert.match(out.text, /win rate\s+6\.94 ± 0\.79/);
  assert.match(out.text, /discrete win rate\s+6\.27 \(wins 50, losses 754, draws 1\)/);
  assert.match(out.text, /LC win rate\s+\d+\.\d\d ± \d+\.\d\d/);
});

test("CLI: label create (with gold), list, export, quality", async () => {
  const { seedAnswers } = await import("./support/labeling-fixture.ts");
  const { LabelingService } = await import("../src/labeling/service.ts");
  const dir = mkdtempSync(join(tmpdir(), "mm-label-cli-"));
  const db = join(dir, "m.db");
  const store = openStore(db);
  await seedAnswers(store, { set: "pub", prompts: 4, models: ["ma", "mb"] });
  await store.close();
  const gold = join(dir, "gold.jsonl");
  writeFileSync(gold, `${JSON.stringify({ prompt_id: "q0", model_a: "mb", model_b: "ma", winner: "model_a" })}\n`);
  const o = () => ({ stdout: capture(), stderr: capture() });
  let io = o();
  const args = ["--db", db, "label", "create", "--name", "CLI test", "--prompts", "pub", "--models", "ma,mb"];
  assert.equal(await runCli([...args, "--gold", gold, "--per-labeler", "2"], io), 0, io.stderr.text);
  const id = /created campaign (\S+): 4 items \(1 gold\)/.exec(io.stdout.text)?.[1];
  assert.ok(id, io.stdout.text);
  io = o();
  writeFileSync(gold, '{"prompt_id": "q0", "model_a": "mb"}\n');
  assert.equal(await runCli([...args, "--gold", gold], io), 2);
  assert.match(io.stderr.text, /gold\.jsonl, line 1, field 'model_b'/);

  const s2 = openStore(db);
  const svc = new LabelingService(s2);
  const { labeler } = await svc.signup({ language: "fr" });
  for (let v = await svc.next(id, labeler); v; v = await svc.next(id, labeler))
    await svc.vote(id, labeler, v.assignmentId, "left");
  await s2.close();

  io = o();
  assert.equal(await runCli(["--db", db, "label", "list"], io), 0);
  assert.match(io.stdout.text, new RegExp(`${id}.*labelers 1\\s+votes 2/2 assigned\\s+K=2`));
  io = o();
  assert.equal(await runCli(["--db", db, "label", "export", id], io), 0);
  const battles = JSON.parse(io.stdout.text) as Array<{ language: string; judge: string }>;
  assert.ok(battles.length >= 1 && battles.length <= 2, "gold votes are not exported");
  assert.equal(battles[0]?.language, "fr");
  io = o();
  assert.equal(await runCli(["--db", db, "label", "quality", id], io), 0, io.stderr.text);
  assert.match(io.stdout.text, /Krippendorff's alpha/);
  io = o();
  assert.equal(await runCli(["--db", db, "label", "export", "nope"], io), 2);
});

test("CLI: rank --style-control and rank style over votes with stored answers", async () => {
  const { seedAnswers } = await import("./support/labeling-fixture.ts");
  const dir = mkdtempSync(join(tmpdir(), "mm-style-cli-"));
  const db = join(dir, "m.db");
  const store = openStore(db);
  await seedAnswers(store, {
    set: "s",
    prompts: 40,
    models: ["wordy", "terse"],
    answer: (m, i) =>
      m === "wordy" ? `## Part\n- ${"long text ".repeat(20 + (i % 7) * 5)}` : `short ${"x ".repeat(i % 5)}`,
  });
  await store.votes.add(
    "judge:s",
    Array.from({ length: 40 }, (_, i) => ({
      promptId: `s/q${i}`,
      modelA: i % 2 ? "wordy" : "terse",
      modelB: i % 2 ? "terse" : "wordy",
      winner: (i % 3 === 0 ? "tie" : i % 2 ? "model_a" : "model_b") as "tie" | "model_a" | "model_b",
    })),
  );
  await store.close();
  let out = capture();
  let err = capture();
  assert.equal(
    await runCli(["--db", db, "rank", "--style-control", "--source", "judge:s", "--bootstrap", "10"], {
      stdout: out,
      stderr: err,
    }),
    0,
    err.text,
  );
  assert.match(out.text, /style-controlled ratings \(40 battles, 0 skipped without answers\)/);
  assert.match(out.text, /tokens\s+-?\d+\.\d\d ± \d+\.\d\d/);
  out = capture();
  err = capture();
  assert.equal(
    await runCli(["--db", db, "rank", "style", "--format", "json", "--bootstrap", "5"], { stdout: out, stderr: err }),
    0,
    err.text,
  );
  const j = JSON.parse(out.text) as { models: Array<{ model: string }>; coefficients: Array<{ feature: string }> };
  assert.deepEqual(
    j.coefficients.map((c) => c.feature),
    ["tokens", "headers", "lists", "bold"],
  );
  assert.equal(j.models.length, 2);
});

test("CLI: answers import of real FastChat answer files (Arena-Hard gpt-4-0314 baseline, MT-bench Llama-3)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mm-answers-cli-"));
  const db = join(dir, "m.db");
  const data = "../shared/data";
  const run = async (args: string[]) => {
    const out = capture();
    const err = capture();
    const code = await runCli(["--db", db, ...args], { stdout: out, stderr: err });
    assert.equal(code, 0, err.text);
    return out.text;
  };
  await run(["prompts", "import", `${data}/arena_hard_auto/arena-hard-v0.1_question.jsonl`]);
  const ah = await run([
    "answers",
    "import",
    `${data}/arena_hard_auto/arena-hard-v0.1_model_answer_gpt-4-0314.jsonl`,
    "--prompts",
    "arena-hard-v0.1",
  ]);
  assert.match(ah, /imported 500 answers of gpt-4-0314 into arena-hard-v0.1/);
  await run(["prompts", "import", `${data}/mt_bench/question.jsonl`]);
  const mt = await run([
    "answers",
    "import",
    `${data}/mt_bench/model_answer__Meta-Llama-3-8B-Instruct-Normal.jsonl`,
    "--prompts",
    "mt-bench",
    "--model",
    "llama3-normal",
  ]);
  assert.match(mt, /imported 80 answers of llama3-normal into mt-bench$/m);
  const store = openStore(db);
  const answers = await store.judging.latestAnswers("mt-bench", ["llama3-normal"]);
  const baseline = await store.judging.latestAnswers("arena-hard-v0.1", ["gpt-4-0314"]);
  await store.close();
  assert.equal(answers.length, 80);
  assert.ok(
    answers.every((a) => a.outputs.length === 2),
    "two turns each",
  );
  assert.ok(
    baseline.some((a) => a.headers > 0 || a.lists > 0),
    "style features counted on real answers",
  );
  const out = capture();
  const err = capture();
  assert.equal(
    await runCli(["--db", db, "answers", "import", `${data}/mt_bench/question.jsonl`, "--prompts", "mt-bench"], {
      stdout: out,
      stderr: err,
    }),
    2,
  );
  assert.match(err.text, /question\.jsonl, line 1, field 'choices'/);
});
