import assert from "node:assert/strict";
import { test } from "node:test";
import { createRng } from "../core/rng.ts";
import type { Vote } from "../core/votes.ts";
import { openStore } from "../store/sqlite/index.ts";
import { baselineWinRates, qualityQuadrants, styleControlledRatings } from "./analysis.ts";

/** A store where model "long" writes long answers that the voters like for their length only, "short"
 * is as good but terse, and "best" is really better. */
function fixture() {
  const store = openStore(":memory:");
  const rng = createRng(11);
  const items = Array.from({ length: 400 }, (_, n) => ({
    setName: "s",
    id: `p${n}`,
    category: "chat",
    turns: ["q"],
    reference: null,
    tags: [],
  }));
  store.judging.putPromptSet(
    { name: "s", contentHash: "x", secret: false, canary: null, description: null, origin: null },
    items,
  );
  const quality: Record<string, number> = { long: 0, short: 0, best: 1 };
  const baseLen: Record<string, number> = { long: 600, short: 150, best: 200 };
  const tokens = new Map<string, number>();
  for (const it of items) {
    for (const m of Object.keys(quality)) {
      const t = Math.round((baseLen[m] as number) * Math.exp(0.5 * rng.normal()));
      tokens.set(`${it.id}/${m}`, t);
      store.judging.putAnswer({
        key: `${it.id}-${m}`,
        setName: "s",
        promptId: it.id,
        model: m,
        outputs: ["x".repeat(t * 4)],
        params: {},
        finishReasons: ["stop"],
        error: null,
        chars: t * 4,
        tokens: t,
        headers: 0,
        lists: 0,
        bold: 0,
      });
    }
  }
  const votes: Vote[] = [];
  const pairs: Array<[string, string]> = [
    ["long", "short"],
    ["long", "best"],
    ["short", "best"],
  ];
  for (const it of items) {
    for (const [a, b] of pairs) {
      const ta = tokens.get(`${it.id}/${a}`) as number;
      const tb = tokens.get(`${it.id}/${b}`) as number;
      const eta = (quality[a] as number) - (quality[b] as number) + 2.5 * ((ta - tb) / (ta + tb));
      const u = rng.next();
      const pa = 1 / (1 + Math.exp(-eta));
      const winner = u < pa * 0.9 ? "model_a" : u < 0.9 ? "model_b" : "tie";
      votes.push({
        promptId: `s/${it.id}`,
        modelA: a,
        modelB: b,
        winner,
        judge: "j",
        shownFirst: "model_a",
        category: "chat",
      });
    }
  }
  store.votes.add("judge:s", votes);
  return store;
}

test("style control: a length-favouring judge inflates the raw rating, the controlled one removes it", () => {
  const store = fixture();
  const r = styleControlledRatings(store, { query: { sources: ["judge:s"] }, bootstrap: 30, seed: 1 });
  assert.ok(r.converged);
  assert.equal(r.battles, 1200);
  const by = new Map(r.models.map((m) => [m.model, m]));
  const long = by.get("long")!;
  const short = by.get("short")!;
  const best = by.get("best")!;
  assert.ok(long.rawRating - short.rawRating > 60, `raw gap ${long.rawRating - short.rawRating}`);
  assert.ok(Math.abs(long.rating - short.rating) < 45, `controlled gap ${long.rating - short.rating}`);
  assert.ok(best.rating > long.rating && best.rating > short.rating);
  assert.ok(r.coefficients[0]!.feature === "tokens" && r.coefficients[0]!.beta > 0.3);
  assert.ok(long.lower < long.rating && long.rating < long.upper);
  store.close();
});

test("win rate against a baseline with LC: the verbose model's LC is lower than its raw win rate", () => {
  const store = fixture();
  const { rows } = baselineWinRates(store, { baseline: "short", query: { sources: ["judge:s"] }, bootstrap: 30 });
  const long = rows.find((r) => r.model === "long")!;
  const best = rows.find((r) => r.model === "best")!;
  assert.equal(long.nTotal, 400);
  assert.ok(long.winRate > 55, `raw ${long.winRate}`);
  assert.ok(long.lc.lcWinRate < long.winRate - 5, `lc ${long.lc.lcWinRate} raw ${long.winRate}`);
  assert.ok(best.lc.lcWinRate > 55);
  assert.ok(long.standardError > 0 && long.lc.standardError > 0);
  assert.throws(() => baselineWinRates(store, { baseline: "nobody" }), /no votes involve the baseline 'nobody'/);
  store.close();
});

test("quality quadrants class comparisons by the judge's single grades", () => {
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
  grade("p1", "x", 8);
  grade("p1", "y", 9); // acceptable-acceptable
  grade("p2", "x", 8);
  grade("p2", "y", 2); // acceptable-poor
  grade("p3", "x", 3);
  grade("p3", "y", 2); // poor-poor
  store.votes.add("judge:s", [
    { promptId: "s/p1", modelA: "x", modelB: "y", winner: "model_b", judge: "j" },
    { promptId: "s/p2", modelA: "x", modelB: "y", winner: "model_a", judge: "j" },
    { promptId: "s/p3", modelA: "x", modelB: "y", winner: "model_a", judge: "j" },
    { promptId: "s/p4", modelA: "x", modelB: "y", winner: "tie_bothbad", judge: "j" },
    { promptId: "s/p5", modelA: "x", modelB: "y", winner: "model_a", judge: "j" },
  ]);
  const r = qualityQuadrants(store, { judge: "j", setName: "s" });
  const n = Object.fromEntries(r.quadrants.map((q) => [q.quadrant, q.battles]));
  assert.deepEqual(n, { "poor-poor": 2, "acceptable-poor": 1, "acceptable-acceptable": 1 });
  assert.equal(r.ungraded, 1);
  const aa = r.quadrants.find((q) => q.quadrant === "acceptable-acceptable")!;
  assert.equal(aa.models.find((m) => m.model === "y")?.winRate, 1);
  store.close();
});
