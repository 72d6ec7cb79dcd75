/**
 * `modelmap generate` and `judge` on real engines: two tiny random-weight GGUF models the project writes
 * run in-process through the llama-cpp backend (configured in modelmap.yaml); the judge is a scripted
 * OpenAI-compatible server, since a random-weight model cannot write a verdict.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../src/cli/main.ts";
import { collect } from "../src/core/iter.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import { capture } from "./support/cli.ts";
import { startScriptedChatServer } from "./support/scripted-chat-server.ts";
import { createTinyModel } from "./support/tiny-model.ts";

const dir = mkdtempSync(join(tmpdir(), "mm-judge-gguf-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("generate with two tiny GGUF models (multi-turn, cached, resumable), then judge them", async () => {
  createTinyModel(join(dir, "a.gguf"), { seed: 1 });
  createTinyModel(join(dir, "b.gguf"), { seed: 2 });
  writeFileSync(
    join(dir, "modelmap.yaml"),
    `models:
  - id: tiny-a
    backend: llama-cpp
    file: a.gguf
    context_size: 256
  - id: tiny-b
    backend: llama-cpp
    file: b.gguf
    context_size: 256
`,
  );
  writeFileSync(
    join(dir, "set.yaml"),
    `name: tiny-set
prompts:
  - id: m1
    category: math
    turns: ["What is 2+2?"]
    reference: "4"
  - id: c1
    category: chat
    turns: ["Hello", "Tell me more"]
`,
  );
  const db = join(dir, "m.db");
  const gen = ["--db", db, "generate", "--models", "tiny-a,tiny-b", "--prompts", "set.yaml", "--max-tokens", "6"];
  let out = capture();
  let err = capture();
  assert.equal(await runCli(gen, { stdout: out, stderr: err, cwd: dir }), 0, err.text);
  assert.match(out.text, /4 answers \(4 generated, 0 already stored, 0 failed\)/);
  let store = openStore(db);
  const answers = await store.judging.latestAnswers("tiny-set", ["tiny-a", "tiny-b"]);
  assert.equal(answers.length, 4);
  const chat = answers.find((a) => a.promptId === "c1" && a.model === "tiny-a");
  assert.equal(chat?.outputs.length, 2, "one output per turn");
  assert.ok(chat?.finishReasons.every((f) => f === "stop" || f === "length"));
  assert.ok(
    answers.every((a) => a.tokens <= 12),
    "max tokens respected per turn",
  );
  await store.close();

  out = capture();
  assert.equal(await runCli(gen, { stdout: out, stderr: capture(), cwd: dir }), 0);
  assert.match(out.text, /0 generated, 4 already stored/);

  const judge = await startScriptedChatServer((r) =>
    (r.messages.at(-1)?.content ?? "").includes("<<<CONVERSATION>>>")
      ? "Score: 2"
      : "Both are gibberish.\nVerdict: both bad",
  );
  try {
    out = capture();
    err = capture();
    const code = await runCli(
      ["--db", db, "judge", "--judge", `j@${judge.baseUrl}`, "--prompts", "tiny-set", "--models", "tiny-a,tiny-b"],
      { stdout: out, stderr: err, cwd: dir },
    );
    assert.equal(code, 0, err.text);
    assert.match(out.text, /2 votes added/);
    store = openStore(db);
    const votes = await collect(store.votes.iterate({ sources: ["judge:tiny-set"] }));
    await store.close();
    assert.deepEqual(
      votes.map((v) => v.winner),
      ["tie_bothbad", "tie_bothbad"],
    );
  } finally {
    await judge.close();
  }
});

test("a judge whose context is too small: every failure counted by reason, the room it needs, who fits; reference-match works", async () => {
  const d = mkdtempSync(join(dir, "small-"));
  createTinyModel(join(d, "a.gguf"), { seed: 1 });
  createTinyModel(join(d, "b.gguf"), { seed: 2 });
  createTinyModel(join(d, "big.gguf"), { seed: 3, contextLength: 4096 });
  writeFileSync(
    join(d, "modelmap.yaml"),
    `models:
  - { id: tiny-a, backend: llama-cpp, file: a.gguf, context_size: 256 }
  - { id: tiny-b, backend: llama-cpp, file: b.gguf, context_size: 256 }
  - { id: roomy, backend: llama-cpp, file: big.gguf, context_size: 4096 }
`,
  );
  writeFileSync(
    join(d, "set.yaml"),
    `name: small-set
prompts:
  - { id: m1, category: math, turns: ["What is 2+2?"], reference: "4" }
  - { id: m2, category: math, turns: ["What is 3+3?"], reference: "6" }
`,
  );
  const db = join(d, "m.db");
  const io = () => ({ stdout: capture(), stderr: capture(), cwd: d });
  const g = io();
  const gen = ["--db", db, "generate", "--models", "tiny-a,tiny-b", "--prompts", "set.yaml", "--max-tokens", "4"];
  assert.equal(await runCli([...gen, "--quiet"], g), 0, g.stderr.text);
  assert.equal(g.stderr.text, "", "--quiet prints no progress");
  const j = io();
  const code = await runCli(
    ["--db", db, "judge", "--judge", "tiny-a", "--prompts", "small-set", "--models", "tiny-a,tiny-b", "--quiet"],
    j,
  );
  assert.equal(code, 1);
  // 2 prompts x (2 pairwise orders + 2 single grades) = 8 calls, each a judge prompt of some 400+ tokens.
  assert.match(j.stderr.text, /^ {2}8 failed: prompt longer than the model's context \(\d{3,4} > 256 tokens\)$/m);
  assert.match(j.stderr.text, /^ {2}first failure: prompt has \d+ tokens; the context holds 256$/m);
  assert.match(
    j.stderr.text,
    /judge 'tiny-a' reads 256 tokens; the judge prompts need up to \d+ .*Configured models whose context fits: roomy \(4096\)\..*--judge reference-match/,
  );
  const r = io();
  assert.equal(
    await runCli(
      [
        "--db",
        db,
        "judge",
        "--judge",
        "reference-match",
        "--prompts",
        "small-set",
        "--models",
        "tiny-a,tiny-b",
        "--quiet",
      ],
      r,
    ),
    0,
    r.stderr.text,
  );
  assert.match(r.stdout.text, /judged small-set: 4 pairwise \+ 4 single calls, .* 0 failed, 2 votes added/);
});
