import assert from "node:assert/strict";
import { test } from "node:test";
import { lengthBiasedStore as fixture } from "../../test/support/length-biased-votes.ts";
import { openStore } from "../store/sqlite/index.ts";
import { baselineWinRates, qualityQuadrants } from "./analysis.ts";

test("win rate against a baseline with LC: the verbose model's LC is lower than its raw win rate", async () => {
  const store = await fixture();
  const { rows } = await baselineWinRates(store, { baseline: "short", query: { sources: ["judge:s"] }, bootstrap: 30 });
  const long = rows.find((r) => r.model === "long")!;
  const best = rows.find((r) => r.model === "best")!;
  assert.equal(long.nTotal, 400);
  assert.ok(long.winRate > 55, `raw ${long.winRate}`);
  assert.ok(long.lc.lcWinRate < long.winRate - 5, `lc ${long.lc.lcWinRate} raw ${long.winRate}`);
  assert.ok(best.lc.lcWinRate > 55);
  assert.ok(long.standardError > 0 && long.lc.standardError > 0);
  await assert.rejects(() => baselineWinRates(store, { baseline: "nobody" }), /no votes involve the baseline 'nobody'/);
  await store.close();
});

test("quality quadrants class comparisons by the judge's single grades", async () => {
  const store = openStore(":memory:");
  const grade = (promptId: string, model: string, score: number) =>
    store.judging.putJudgment({
      key: `${promptId}-${model}`,
      judge: "j",
      kind: "single",
      setName: "s",
      promptId,
      category: "chat",
      answerFirst: `${promptId}-${model}`,
      answerSecond: null,
      modelFirst: model,
      modelSecond: null,
      verdict: null,
      score,
      parseError: null,
      raw: `Score: ${score}`,
      referenceGuided: false,
      judgePromptHash: "h",
    });
  await grade("p1", "x", 8);
  await grade("p1", "y", 9); // acceptable-acceptable
  await grade("p2", "x", 8);
  await grade("p2", "y", 2); // acceptable-poor
  await grade("p3", "x", 3);
  await grade("p3", "y", 2); // poor-poor
  await store.votes.add("judge:s", [
    { promptId: "s/p1", modelA: "x", modelB: "y", winner: "model_b", judge: "j" },
    { promptId: "s/p2", modelA: "x", modelB: "y", winner: "model_a", judge: "j" },
    { promptId: "s/p3", modelA: "x", modelB: "y", winner: "model_a", judge: "j" },
    { promptId: "s/p4", modelA: "x", modelB: "y", winner: "tie_bothbad", judge: "j" },
    { promptId: "s/p5", modelA: "x", modelB: "y", winner: "model_a", judge: "j" },
  ]);
  const r = await qualityQuadrants(store, { judge: "j", setName: "s" });
  const n = Object.fromEntries(r.quadrants.map((q) => [q.quadrant, q.battles]));
  assert.deepEqual(n, { "poor-poor": 2, "acceptable-poor": 1, "acceptable-acceptable": 1 });
  assert.equal(r.ungraded, 1);
  const aa = r.quadrants.find((q) => q.quadrant === "acceptable-acceptable")!;
  assert.equal(aa.models.find((m) => m.model === "y")?.winRate, 1);
  await store.close();
});
