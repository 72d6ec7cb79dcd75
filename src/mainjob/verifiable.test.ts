import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openStore } from "../store/sqlite/index.ts";
import { buildVerifiableVotes, extractAnswer, isCorrect, replaceSourceVotes } from "./verifiable.ts";

test("the committed answer: first number for numeric references, first capitalized non-filler word otherwise", () => {
  assert.equal(extractAnswer("21", "21"), "21");
  assert.equal(extractAnswer("The answer is -3, not 4", "-3"), "-3");
  assert.equal(extractAnswer("The city Nifeixdor.", "Nifeixdor"), "Nifeixdor");
  assert.equal(extractAnswer("no idea", "Paris"), undefined);
  assert.ok(isCorrect("21\n", "21"));
  assert.ok(isCorrect("021", "21"), "numbers compare by value");
  assert.ok(!isCorrect("12 or 21", "21"), "the first number is the answer");
  assert.ok(isCorrect("nifeixdor", "Nifeixdor") === false, "a lowercase word is not a name");
  assert.ok(isCorrect("It is Tukainune!", "Tukainune"));
  assert.ok(!isCorrect("Tukain", "Tukainune"), "a prefix is not the answer");
});

const items = [
  { id: "p1", category: "math", reference: "4" },
  { id: "p2", category: "knowledge", reference: "Paris" },
  { id: "p3", category: "chat", reference: null },
];

test("correct beats wrong, both right is a tie, both wrong is tie_bothbad; no reference, no vote", () => {
  const answers = new Map([
    [
      "a",
      new Map([
        ["p1", "4"],
        ["p2", "Paris"],
        ["p3", "hi"],
      ]),
    ],
    [
      "b",
      new Map([
        ["p1", "5"],
        ["p2", "Paris"],
      ]),
    ],
    [
      "c",
      new Map([
        ["p1", "3"],
        ["p2", "Lyon"],
      ]),
    ],
  ]);
  const { votes, correct } = buildVerifiableVotes(items, answers, 7);
  assert.equal(votes.length, 6, "3 pairs x 2 prompts with a reference");
  const outcome = (p: string, x: string, y: string) => {
    const v = votes.find((v) => v.promptId === p && [v.modelA, v.modelB].sort().join() === [x, y].sort().join());
    assert.ok(v, `${p} ${x}-${y}`);
    if (v.winner === "model_a") return v.modelA;
    if (v.winner === "model_b") return v.modelB;
    return v.winner;
  };
  assert.equal(outcome("p1", "a", "b"), "a");
  assert.equal(outcome("p1", "b", "c"), "tie_bothbad");
  assert.equal(outcome("p2", "a", "b"), "tie");
  assert.equal(outcome("p2", "b", "c"), "b");
  assert.deepEqual(correct, {
    a: { right: 2, answered: 2 },
    b: { right: 1, answered: 2 },
    c: { right: 0, answered: 2 },
  });
  for (const v of votes) {
    assert.equal(v.shownFirst, "model_a");
    assert.equal(v.judge, "reference-match");
  }
});

test("shown order is drawn from the seed: the same on a rerun, both orders occur, another seed differs", () => {
  const many = Array.from({ length: 60 }, (_, i) => ({ id: `q${i}`, category: "math", reference: "1" }));
  const answers = new Map([
    ["m1", new Map(many.map((i) => [i.id, "1"]))],
    ["m2", new Map(many.map((i) => [i.id, "2"]))],
  ]);
  const first = (seed: number) => buildVerifiableVotes(many, answers, seed).votes.map((v) => v.modelA);
  assert.deepEqual(first(3), first(3));
  const m1First = first(3).filter((m) => m === "m1").length;
  assert.ok(m1First > 10 && m1First < 50, `m1 shown first ${m1First}/60`);
  assert.notDeepEqual(first(3), first(4));
});

test("a missing answer (failed generation) takes no part in that prompt's votes", () => {
  const answers = new Map([
    ["a", new Map([["p1", "4"]])],
    ["b", new Map<string, string>()],
  ]);
  const { votes, correct } = buildVerifiableVotes(items, answers, 1);
  assert.equal(votes.length, 0);
  assert.deepEqual(correct.b, { right: 0, answered: 0 });
});

test("storing the same votes twice writes nothing; changed votes replace the source's old ones", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mm-verifiable-"));
  const store = openStore(join(dir, "db.sqlite"));
  try {
    const answers = new Map([
      [
        "a",
        new Map([
          ["p1", "4"],
          ["p2", "Paris"],
        ]),
      ],
      [
        "b",
        new Map([
          ["p1", "5"],
          ["p2", "Lyon"],
        ]),
      ],
    ]);
    const { votes } = buildVerifiableVotes(items, answers, 1);
    await store.votes.add("other", votes);
    assert.deepEqual(await replaceSourceVotes(store, "zoo-verifiable", votes), {
      inserted: 2,
      removed: 0,
      unchanged: false,
    });
    assert.deepEqual(await replaceSourceVotes(store, "zoo-verifiable", votes), {
      inserted: 0,
      removed: 0,
      unchanged: true,
    });
    assert.equal(await store.votes.count({ sources: ["zoo-verifiable"] }), 2);
    const changed = buildVerifiableVotes(
      items,
      new Map([
        ...answers,
        [
          "b",
          new Map([
            ["p1", "4"],
            ["p2", "Lyon"],
          ]),
        ],
      ]),
      1,
    );
    assert.deepEqual(await replaceSourceVotes(store, "zoo-verifiable", changed.votes), {
      inserted: 2,
      removed: 2,
      unchanged: false,
    });
    assert.equal(await store.votes.count({ sources: ["zoo-verifiable"] }), 2);
    assert.equal(await store.votes.count({ sources: ["other"] }), 2, "other sources are left alone");
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
