import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { runCaptured } from "./support/cli.ts";

const DATA = resolve(import.meta.dirname, "../../shared/data");
const STRICT = join(DATA, "ifeval/eval_results_strict.jsonl");
const GPT4 = join(DATA, "ifeval/input_response_data_gpt4_20231107_145030.jsonl");
const dir = mkdtempSync(join(tmpdir(), "score-cli-"));
const env = { MODELMAP_DATA_DIR: DATA };

const jsonl = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test("score --task leaderboard_ifeval --format jsonl: strict and loose verdicts per prompt, joined by prompt text", async () => {
  const { code, out, err } = await runCaptured(
    ["score", "--task", "leaderboard_ifeval", "--responses", STRICT, "--format", "jsonl"],
    { env },
  );
  assert.equal(code, 0, err);
  const lines = out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  const reference = jsonl(STRICT);
  assert.equal(lines.length, 540);
  let same = 0;
  lines.forEach((l, i) => {
    assert.deepEqual(Object.keys(l), ["key", "prompt", "strict", "loose"]);
    assert.equal(l.prompt, reference[i]?.["prompt"]);
    if (JSON.stringify(l.strict.follow_instruction_list) === JSON.stringify(reference[i]?.["follow_instruction_list"]))
      same++;
    assert.equal(typeof l.loose.follow_all_instructions, "boolean");
  });
  // All but the two prompts whose letter_frequency letter the reference drew at random (see ifeval.test.ts).
  assert.equal(same, 538);
});

test("score joins by key as well, and prints lm-eval's four metrics (table and json)", async () => {
  const keyed = join(dir, "keyed.jsonl");
  const byPrompt = new Map(jsonl(join(DATA, "ifeval/input_data.jsonl")).map((d) => [d["prompt"], d["key"]]));
  writeFileSync(
    keyed,
    jsonl(STRICT)
      .map((r) => JSON.stringify({ key: byPrompt.get(r["prompt"]), response: r["response"] }))
      .join("\n"),
  );
  const json = await runCaptured(["score", "--task", "ifeval", "--responses", keyed, "--format", "json"], { env });
  assert.equal(json.code, 0, json.err);
  const fromKeys = JSON.parse(json.out);
  const fromPrompts = JSON.parse(
    (await runCaptured(["score", "--task", "ifeval", "--responses", STRICT, "--format", "json"], { env })).out,
  );
  assert.deepEqual(fromKeys, fromPrompts);
  assert.equal(fromKeys.documents, 540);
  assert.equal(fromKeys.results["prompt_level_strict_acc,none"], 417 / 540);
  assert.equal(fromKeys.results["inst_level_strict_acc,none"], 697 / 832);
  const table = await runCaptured(["score", "--task", "ifeval", "--responses", keyed], { env });
  assert.match(table.out, /^ifeval: 540 documents\n {2}prompt_level_strict_acc,none {2}0\.7722\n/);
  assert.match(table.out, /inst_level_loose_acc,none/);
});

test("bad response lines: file, line and field, exit 2, nothing written", async () => {
  const cases: Array<[string, RegExp]> = [
    ['{"key": 1000, "response": "x"}\nnot json\n', /bad\.jsonl, line 2: not JSON/],
    ['{"key": 1000}\n', /line 1, field 'response'/],
    ['{"key": 99999999, "response": "x"}\n', /line 1, field 'key': no IFEval prompt has key 99999999/],
    ['{"response": "x"}\n', /line 1, field 'key'/],
  ];
  for (const [content, message] of cases) {
    const file = join(dir, "bad.jsonl");
    writeFileSync(file, content);
    const r = await runCaptured(["score", "--task", "ifeval", "--responses", file, "--format", "jsonl"], { env });
    assert.equal(r.code, 2, content);
    assert.match(r.err, message);
    assert.equal(r.out, "");
  }
  // The GPT-4 file's key-2785 line carries an older prompt text, so the prompt join stops there.
  const r = await runCaptured(["score", "--task", "ifeval", "--responses", GPT4], { env });
  assert.equal(r.code, 2);
  assert.match(r.err, /line 340, field 'prompt'/);
});

test("score a generation task by doc_id with its own filters: GSM8K's reference answers score 1", async () => {
  const file = join(dir, "gsm8k.jsonl");
  const docs = jsonl(join(DATA, "gsm8k/test.jsonl")).slice(0, 30);
  writeFileSync(file, docs.map((d, i) => JSON.stringify({ doc_id: i, response: d["answer"] })).join("\n"));
  const r = await runCaptured(["score", "--task", "gsm8k", "--responses", file, "--format", "json"], { env });
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  assert.equal(out.documents, 30);
  assert.equal(out.results["exact_match,strict-match"], 1);
  writeFileSync(
    file,
    `${JSON.stringify({ doc_id: 0, response: "#### 1" })}\n${JSON.stringify({ doc_id: 0, response: "x" })}\n`,
  );
  const dup = await runCaptured(["score", "--task", "gsm8k", "--responses", file], { env });
  assert.equal(dup.code, 2);
  assert.match(dup.err, /line 2, field 'doc_id': doc_id 0 appears twice/);
  const mc = await runCaptured(["score", "--task", "arc_challenge", "--responses", file], { env });
  assert.equal(mc.code, 2);
  assert.match(mc.err, /only generation tasks/);
});
