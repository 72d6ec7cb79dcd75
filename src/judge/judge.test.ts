import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ScriptedServer, startScriptedChatServer } from "../../test/support/scripted-chat-server.ts";
import { OpenAIBackend } from "../backends/openai/index.ts";
import type { Backend } from "../backends/types.ts";
import { collect } from "../core/iter.ts";
import type { PromptSet } from "../prompts/schema.ts";
import { openStore } from "../store/sqlite/index.ts";
import { generateAnswers } from "./generate.ts";
import { combineOrders, judgeSet } from "./judge.ts";
import { parsePairVerdict, parseScore } from "./judge-prompts.ts";
import { judgeStats } from "./judge-stats.ts";
import { storePromptSet } from "./prompt-sets.ts";

const SET: PromptSet = {
  name: "t",
  secret: false,
  contentHash: "h1",
  origin: "test",
  items: [
    { id: "m1", category: "math", turns: ["What is 6*7?"], reference: "42" },
    { id: "w1", category: "writing", turns: ["Write a haiku."] },
    { id: "c1", category: "coding", turns: ["Reverse a string in Python."] },
    { id: "h1", category: "chat", turns: ["Hi!", "Tell me more."] },
  ],
};

const GOOD = "GOOD answer.\n\n## Plan\n- first point\n- second point\n\nThis is **clearly** right: 42.";
const BAD = "meh";

let models: ScriptedServer;
let judgeSrv: ScriptedServer;

/** The scripted judge: prefers GOOD, except on the haiku (always says A: a position-biased judge) and the
 * coding item (answers without a verdict line). */
function judgeReply(text: string): string {
  const single = text.includes("<<<CONVERSATION>>>");
  if (single) {
    if (text.includes("Tell me more.")) return "Quite good overall. Score: eleven";
    return text.includes("GOOD answer") ? "Correct and clear.\nScore: 8" : "Weak.\nScore: 3";
  }
  if (text.includes("Write a haiku.")) return "Both are fine but A reads better.\nVerdict: A";
  if (text.includes("Reverse a string")) return "I cannot decide between them.";
  const a = text.slice(text.indexOf("<<<CONVERSATION WITH ASSISTANT A>>>"), text.indexOf("<<<END A>>>"));
  return a.includes("GOOD answer") ? "A is correct.\nVerdict: A" : "B is correct.\nVerdict: **B**";
}

before(async () => {
  models = await startScriptedChatServer((r) => {
    const last = r.messages[r.messages.length - 1]?.content ?? "";
    if (r.model === "good") return last === "Tell me more." ? `${GOOD} (turn 2)` : GOOD;
    return BAD;
  });
  judgeSrv = await startScriptedChatServer((r) => judgeReply(r.messages[r.messages.length - 1]?.content ?? ""));
});
after(async () => {
  await models.close();
  await judgeSrv.close();
});

const backend = (id: string, url: string): Backend =>
  new OpenAIBackend({ id, model: id, baseUrls: [url], maxRetries: 0, concurrency: 4 });

test("verdict and score parsing: last line wins, fallbacks, unparseable reported", () => {
  assert.deepEqual(parsePairVerdict("Options: Verdict: A or Verdict: B...\nVerdict: B"), { verdict: "second" });
  assert.deepEqual(parsePairVerdict("Verdict: **tie**"), { verdict: "tie" });
  assert.deepEqual(parsePairVerdict("verdict = Both bad"), { verdict: "both_bad" });
  assert.deepEqual(parsePairVerdict("[[C]]"), { verdict: "tie" });
  assert.ok("error" in parsePairVerdict("A is nicer"));
  assert.deepEqual(parseScore("Score: 7/10"), { score: 7 });
  assert.deepEqual(parseScore("Rating: [[9]]"), { score: 9 });
  assert.ok("error" in parseScore("Score: 11"));
  assert.ok("error" in parseScore("no idea"));
});

test("combineOrders: agreement stands, a flip is a tie, unparseable makes no vote", () => {
  const o = (verdict: string | null, f: string, s: string) => ({ verdict, modelFirst: f, modelSecond: s });
  assert.deepEqual(combineOrders(o("first", "x", "y"), o("second", "y", "x")), { winner: "x", consistent: true });
  assert.deepEqual(combineOrders(o("first", "x", "y"), o("first", "y", "x")), { winner: "tie", consistent: false });
  assert.deepEqual(combineOrders(o("tie", "x", "y"), o("first", "y", "x")), { winner: "tie", consistent: false });
  assert.deepEqual(combineOrders(o("both_bad", "x", "y"), o("both_bad", "y", "x")), {
    winner: "both_bad",
    consistent: true,
  });
  assert.equal(combineOrders(o(null, "x", "y"), o("first", "y", "x")), undefined);
});

test("generate then judge: multi-turn answers, both orders, votes, unparseable recorded, resumable", async () => {
  const store = openStore(":memory:");
  const { name, items } = await storePromptSet(store, SET);
  const backends = new Map([
    ["good", backend("good", models.baseUrl)],
    ["bad", backend("bad", models.baseUrl)],
  ]);
  const g1 = await generateAnswers({ store, setName: name, items, backends, seed: 1 });
  assert.deepEqual([g1.generated, g1.failed, g1.resumed], [8, 0, 0]);
  // The second turn of a multi-turn prompt sees the model's own first answer.
  const turn2 = models.requests.find((r) => r.model === "good" && r.messages.at(-1)?.content === "Tell me more.");
  assert.deepEqual(
    turn2?.messages.map((m) => m.role),
    ["user", "assistant", "user"],
  );
  assert.equal(turn2?.messages[1]?.content, GOOD);
  // Per-category sampling: math greedy, writing sampled.
  const mathReq = models.requests.find((r) => r.messages[0]?.content === "What is 6*7?");
  const writeReq = models.requests.find((r) => r.messages[0]?.content === "Write a haiku.");
  assert.equal(mathReq?.body.temperature, 0);
  assert.equal(writeReq?.body.temperature, 0.7);
  const answers = await store.judging.latestAnswers(name, ["good", "bad"]);
  assert.equal(answers.length, 8);
  const goodMath = answers.find((a) => a.model === "good" && a.promptId === "m1");
  assert.deepEqual([goodMath?.headers, goodMath?.lists, goodMath?.bold], [1, 2, 1]);

  const before = models.requests.length;
  const g2 = await generateAnswers({ store, setName: name, items, backends, seed: 1 });
  assert.deepEqual([g2.generated, g2.resumed], [0, 8]);
  assert.equal(models.requests.length, before, "a rerun sends no request");

  const judge = backend("judge-x", judgeSrv.baseUrl);
  const s1 = await judgeSet({ store, judge, judgeId: "judge-x", setName: name, items, models: ["good", "bad"] });
  assert.equal(s1.pairwiseCalls, 8, "4 pairs x 2 orders");
  assert.equal(s1.singleCalls, 8);
  assert.equal(s1.unparseable, 2 + 2, "coding pair (both orders) and the chat grades");
  assert.equal(s1.votesAdded, 3, "no vote from the unparseable coding pair");
  assert.equal(s1.inconsistent, 1, "the position-biased haiku verdict flips");

  const votes = await collect(store.votes.iterate({ sources: ["judge:t"] }));
  assert.equal(votes.length, 3);
  const byPrompt = new Map(votes.map((v) => [v.promptId, v]));
  const winnerModel = (p: string) => {
    const v = byPrompt.get(p);
    return v?.winner === "model_a" ? v.modelA : v?.winner === "model_b" ? v.modelB : v?.winner;
  };
  assert.equal(winnerModel("t/m1"), "good");
  assert.equal(winnerModel("t/h1"), "good");
  assert.equal(winnerModel("t/w1"), "tie");
  for (const v of votes) {
    assert.equal(v.judge, "judge-x");
    assert.equal(v.shownFirst, "model_a");
    assert.match(v.rationale ?? "", /\[order 1: A=.*\[order 2: A=/s);
  }
  assert.match(byPrompt.get("t/w1")?.rationale ?? "", /flipped with the order/);

  // Reference-guided only where the category has a checkable answer.
  const mathJudge = judgeSrv.requests.find((r) => r.messages[1]?.content.includes("What is 6*7?"));
  assert.match(mathJudge?.messages[1]?.content ?? "", /<<<REFERENCE>>>\n42/);
  const writeJudge = judgeSrv.requests.find((r) => r.messages[1]?.content.includes("Write a haiku."));
  assert.doesNotMatch(writeJudge?.messages[1]?.content ?? "", /REFERENCE/);

  const unparsed = (await store.judging.judgments({ judge: "judge-x" })).filter((j) => j.parseError !== null);
  assert.equal(unparsed.length, 4);
  assert.ok(
    unparsed.every((j) => j.raw.length > 0),
    "raw text kept",
  );

  const st = await judgeStats(store, "judge-x", "t");
  assert.deepEqual([st.consistency.k, st.consistency.n], [2, 3]);
  assert.deepEqual([st.firstPositionWinRate.k, st.firstPositionWinRate.n], [4, 6]);
  assert.deepEqual([st.longerAnswerWinRate.k, st.longerAnswerWinRate.n], [5, 6]);
  assert.deepEqual([st.unparseable.k, st.unparseable.n], [4, 16]);
  assert.deepEqual(
    st.meanGrade.map((g) => [g.model, g.mean, g.n]),
    [
      ["good", 8, 3],
      ["bad", 3, 3],
    ],
  );

  const calls = judgeSrv.requests.length;
  const s2 = await judgeSet({ store, judge, judgeId: "judge-x", setName: name, items, models: ["good", "bad"] });
  assert.equal(s2.resumed, 16);
  assert.equal(s2.votesAdded, 0, "a rerun never votes twice");
  assert.equal(judgeSrv.requests.length, calls);
  await store.close();
});

test("score parsing agrees with FastChat on 330 real GPT-4 single-grade judgments (4 unparseable)", async () => {
  const { existsSync, readFileSync } = await import("node:fs");
  const file = "../shared/data/mt_bench/model_judgment__gpt-4_single__llama3-8b-normal+griffin.jsonl";
  assert.ok(existsSync(file), `shared data missing: ${file} (tests read real public data from ../shared/data)`);
  const rows = readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { judgment: string; score: number });
  assert.equal(rows.length, 330);
  let agree = 0;
  let unparseable = 0;
  for (const r of rows) {
    const p = parseScore(r.judgment);
    if ("error" in p) unparseable++;
    if (("score" in p ? p.score : -1) === r.score) agree++;
  }
  assert.equal(agree, 330);
  assert.equal(unparseable, 4);
});

test("votes judged on a secret set carry no raw judge text", async () => {
  const store = openStore(":memory:");
  const secretSet: PromptSet = {
    ...SET,
    name: "sec",
    secret: true,
    items: [SET.items[0] as PromptSet["items"][number]],
  };
  const { name, items } = await storePromptSet(store, secretSet);
  const backends = new Map([
    ["good", backend("good", models.baseUrl)],
    ["bad", backend("bad", models.baseUrl)],
  ]);
  await generateAnswers({ store, setName: name, items, backends });
  const judge = backend("judge-x", judgeSrv.baseUrl);
  const s = await judgeSet({
    store,
    judge,
    judgeId: "judge-x",
    setName: name,
    items,
    models: ["good", "bad"],
    single: false,
  });
  assert.equal(s.votesAdded, 1);
  const [v] = await collect(store.votes.iterate({ sources: ["judge:sec"] }));
  assert.match(v?.rationale ?? "", /raw judgments withheld/);
  assert.doesNotMatch(v?.rationale ?? "", /6\*7|correct/);
  assert.equal(
    (await store.judging.judgments({ setName: "sec" })).length,
    2,
    "the raw judgments stay in the judgments table",
  );
  await store.close();
});
