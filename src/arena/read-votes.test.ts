import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { sharedData } from "../../test/support/shared-data.ts";
import { ModelmapError } from "../core/errors.ts";
import { aggregateVotes } from "./aggregate.ts";
import { parseVoteText, readVoteFile } from "./read-votes.ts";

test("JSON arrays report the line each bad row starts on", () => {
  const text = `[
  {"model_a": "x", "model_b": "y", "winner": "model_a"},
  {
    "model_a": "x",
    "model_b": "y",
    "winner": "draw"
  },
  {"model_a": "x", "winner": "tie"},
  {"model_a": "z", "model_b": "z", "winner": "tie"},
  {"model_a": "x", "model_b": "y", "winner": "tie (bothbad)", "question_id": "q1", "judge": "h1"}
]`;
  const r = parseVoteText(text, "a.json");
  assert.equal(r.format, "lmsys");
  assert.deepEqual(r.lines, [2, 10]);
  assert.deepEqual(
    r.bad.map((b) => [b.line, b.field]),
    [
      [3, "winner"],
      [8, "model_b"],
      [9, "model_b"],
    ],
  );
  assert.match(r.bad[0]!.reason, /unknown winner "draw"/);
  assert.match(r.bad[1]!.reason, /missing 'model_b'/);
  assert.match(r.bad[2]!.reason, /against itself/);
  assert.equal(r.votes[1]!.winner, "tie_bothbad");
  assert.equal(r.votes[1]!.promptId, "q1");
  assert.equal(r.votes[1]!.shownFirst, "model_a");
});

test("JSONL: invalid JSON is a counted bad row; --strict makes it fatal with file and line", () => {
  const text = '{"model_a":"x","model_b":"y","winner":"model_b"}\n\n{"model_a": "x", oops}\n';
  const r = parseVoteText(text, "b.jsonl");
  assert.equal(r.votes.length, 1);
  assert.deepEqual(r.bad, [{ line: 3, reason: "not valid JSON" }]);
  assert.throws(
    () => parseVoteText(text, "b.jsonl", { strict: true }),
    (e: unknown) =>
      e instanceof ModelmapError &&
      e.code === "input" &&
      /b\.jsonl, line 3: not valid JSON \(1 bad row/.test(e.message),
  );
});

test("modelmap's own exports keep shown_first and prompt_id", () => {
  const r = parseVoteText(
    '{"prompt_id":"p9","model_a":"x","model_b":"y","winner":"model_a","shown_first":"model_b","judge":"gpt-4"}',
    "own.jsonl",
  );
  assert.equal(r.votes[0]!.shownFirst, "model_b");
  assert.equal(r.votes[0]!.promptId, "p9");
  assert.equal(r.votes[0]!.judge, "gpt-4");
});

test("count files are validated with the field at fault", () => {
  const ok = parseVoteText('{"models":["a","b"],"X":[[0,1]],"Y":[[3,1,2,1]]}', "c.json");
  assert.equal(ok.format, "counts");
  assert.deepEqual(ok.counts!.pairs[0], { i: 0, j: 1, winsI: 3, winsJ: 1, ties: 2, tiesBothbad: 1 });
  const three = parseVoteText('{"models":["a","b"],"X":[[0,1]],"Y":[[3,1,2]]}', "c3.json");
  assert.equal(three.counts!.pairs[0]!.tiesBothbad, 0);
  assert.throws(
    () => parseVoteText('{"models":["a","b"],"X":[[0,5]],"Y":[[3,1,2]]}', "c.json"),
    /c\.json, field 'X\[0\]': model index out of range/,
  );
  assert.throws(() => parseVoteText('{"models":["a","b"],"X":[[0,1]],"Y":[]}', "c.json"), /field 'Y'/);
  // Shapes the plain pre-check refuses still reach the schema, which names the element at fault.
  const bad: Array<[string, RegExp]> = [
    ['"X":[[0,1.5]],"Y":[[3,1,2]]', /field 'X\[0\]\[1\]'/],
    ['"X":[[0,1,1]],"Y":[[3,1,2]]', /field 'X\[0\]'/],
    ['"X":[[0,1]],"Y":[[3,-1,2]]', /field 'Y\[0\]\[1\]'/],
    ['"X":[[0,1]],"Y":[[3,1]]', /field 'Y\[0\]'/],
    ['"X":[[0,"1"]],"Y":[[3,1,2]]', /field 'X\[0\]\[1\]'/],
  ];
  for (const [body, field] of bad)
    assert.throws(
      () => parseVoteText(`{"models":["a","b"],${body}}`, "c.json"),
      (e: unknown) => e instanceof ModelmapError && e.code === "input" && field.test(e.message),
      body,
    );
  assert.throws(() => parseVoteText('{"models":["a",""],"X":[[0,1]],"Y":[[1,1,1]]}', "c.json"), /field 'models\[1\]'/);
});

test("a file with no valid votes is an input error naming the first bad row", () => {
  assert.throws(
    () => parseVoteText('{"model_a":"x","model_b":"y","winner":"?"}\n', "d.jsonl"),
    (e: unknown) => e instanceof ModelmapError && e.code === "input" && /line 1/.test(e.message),
  );
});

test("real data: the 33k human file adds up, ties and both-bad ties kept apart", () => {
  const file = sharedData("arena_33k_pprank/human.json");
  const raw = readFileSync(file, "utf8");
  const r = readVoteFile(file);
  assert.equal(r.bad.length, 0);
  assert.equal(r.votes.length, 26919);
  const counts = aggregateVotes(r.votes);
  let total = 0;
  let ties = 0;
  let bothbad = 0;
  for (const p of counts.pairs) {
    total += p.winsI + p.winsJ + p.ties + p.tiesBothbad;
    ties += p.ties;
    bothbad += p.tiesBothbad;
  }
  assert.equal(total, 26919);
  // Independent count straight from the text.
  assert.equal(ties, raw.split('"winner": "tie"').length - 1);
  assert.equal(bothbad, raw.split('"winner": "tie (bothbad)"').length - 1);
  assert.equal(ties, 2880);
  assert.equal(bothbad, 5132);
  assert.equal(counts.models.length, 20);
});

test("real data: the 2024-08-14 counts file has 129 models and 1,670,250 battles", () => {
  const r = readVoteFile(sharedData("arena_pairwise_counts_20240814/chatbotarena_20240814.json"));
  assert.equal(r.counts!.models.length, 129);
  assert.equal(r.counts!.pairs.length, 3460);
  const total = r.counts!.pairs.reduce((s, p) => s + p.winsI + p.winsJ + p.ties + p.tiesBothbad, 0);
  assert.equal(total, 1670250);
});

test("real data: vicuna80 threeclass files take the models from the file name (1 first, 2 second, 3 tie)", () => {
  const file = sharedData("vicuna80_human_pairwise/answer_bard-vs-answer_gpt35-human-reviewer_threeclass.jsonl");
  const r = readVoteFile(file);
  assert.equal(r.format, "threeclass");
  const lines = readFileSync(file, "utf8").trim().split("\n");
  assert.equal(r.votes.length, lines.length);
  assert.equal(r.votes[0]!.modelA, "bard");
  assert.equal(r.votes[0]!.modelB, "gpt35");
  const firstScore = JSON.parse(lines[0]!).score;
  assert.equal(r.votes[0]!.winner, firstScore === 1 ? "model_a" : firstScore === 2 ? "model_b" : "tie");
  // The compact GPT-4 file has unparsed judgments (score -1): bad rows with their lines.
  const compact = readVoteFile(sharedData("vicuna80_human_pairwise/qlora_gpt4_pairwise_vicuna80_compact.jsonl"));
  assert.ok(compact.bad.length > 0);
  assert.ok(compact.bad.every((b) => b.field === "score" && b.line > 0));
  assert.equal(compact.votes.length + compact.bad.length, 4480);
});
